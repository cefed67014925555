"""Train hash heads of another code length on a trained model's frozen backbone.

Used for the code-length table (128 to 2048 bits): one backbone training is shared and
only the heads (feature BatchNorm, attribute classifier, identity hashing layer) are
trained per code length, on pooled features of the training images and their mirror
images. Training the backbone end to end for each length would take hours on 2 CPU cores.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from .checkpoint import LoadedModel, save_model, to_numpy_meta
from .datasets.base import SampleSet
from ..model.decoder import Decoder
from .encode import encode_arrays
from ..model.layout import default_bits_per_attr
from .network import DeepSSHNet, ModelConfig
from ..common.progress import Progress, no_progress
from .train import CosineClassifier, attribute_loss


@torch.inference_mode()
def pooled_features(net: DeepSSHNet, images: np.ndarray, flip: bool = False, batch_size: int = 128) -> np.ndarray:
    net.eval()
    out = []
    for s in range(0, len(images), batch_size):
        x = net.normalise(torch.from_numpy(np.ascontiguousarray(images[s:s + batch_size])))
        if flip:
            x = x.flip(3)
        out.append(net.embed(x).numpy())
    return np.concatenate(out)


def train_heads(base: LoadedModel, nbits: int, train_set: SampleSet, images: np.ndarray, out: str,
                epochs: int = 30, seed: int = 0, command: str = "", progress: Progress = no_progress,
                features: np.ndarray | None = None) -> str:
    """Write a model with ``base``'s backbone and new ``nbits`` heads to ``out``; return its hash.

    ``features`` (``float32 (2N, C)``: pooled features of the images, then of their mirrors)
    may be passed in to share the backbone pass between code lengths.
    """
    torch.manual_seed(seed)
    a = len(base.schema)
    cfg = ModelConfig(**{**base.config.to_dict(), "nbits": nbits, "bits_per_attr": default_bits_per_attr(nbits, a)})
    net = DeepSSHNet(cfg, pretrained=False)
    net.features = copy.deepcopy(base.net.features)
    if features is None:
        features = np.concatenate([pooled_features(net, images), pooled_features(net, images, flip=True)])
    feats = torch.from_numpy(features)
    labels = torch.from_numpy(np.concatenate([train_set.labels, train_set.labels]))
    pids_np, names = train_set.identity_index()
    pids = torch.from_numpy(np.concatenate([pids_np, pids_np]))
    known = labels >= 0
    prior = ((labels == 1).sum(0) / known.sum(0).clamp(min=1)).float().clamp(0.01, 0.99)
    clf = CosineClassifier(nbits, len(names), 16.0, 0.15)
    params = [p for n, p in net.named_parameters() if not n.startswith("features.")] + list(clf.parameters())
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=5e-4)
    a_bits = cfg.layout.n_attr_bits
    gen = torch.Generator().manual_seed(seed)
    n = feats.shape[0]
    steps = n // 128
    for epoch in range(epochs):
        net.train()
        net.features.eval()
        perm = torch.randperm(n, generator=gen)
        for g in opt.param_groups:
            g["lr"] = 1e-3 * 0.5 * (1 + np.cos(np.pi * epoch / epochs))
        for s in range(steps):
            idx = perm[s * 128:(s + 1) * 128]
            h, logits = net.heads(feats[idx])
            loss = (2.0 * attribute_loss(logits, labels[idx], prior) + clf(h, pids[idx])
                    + 0.1 * (h[:, a_bits:].abs() - 1).pow(2).mean() + 0.1 * h[:, a_bits:].mean(0).pow(2).mean())
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        progress(epoch + 1, epochs, f"{nbits} bits")
    net.eval()
    codes, _, _ = encode_arrays(net, images)
    dec = Decoder.fit(codes, train_set.labels, cfg.layout)
    meta = to_numpy_meta({"command": command, "seed": seed, "base_model": base.hash, "head_epochs": epochs,
                          "note": f"heads trained on the frozen backbone of {base.name}",
                          "decoder": {"train_reconstruction": dec.reconstruction_accuracy(codes, train_set.labels)["overall"]}})
    return save_model(out, net, base.schema, meta, dec)
