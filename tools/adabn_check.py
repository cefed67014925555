"""Would re-estimating BatchNorm statistics on a gallery's own crops (AdaBN) help on new cameras?

usage: .venv/bin/python tools/adabn_check.py MODEL [--sample N ...]   (repository root, ../shared present)

For each of PETA's GRID and PRID (never trained on), separately: the model as it is, and the
model whose BatchNorm running statistics are replaced by those of that subset's own crops
(no labels used: what a gallery build could do with its footage before encoding it). Variants:
every BatchNorm layer, or the backbone's only (the pooled-feature and hashing BatchNorms keep
their training statistics), and the statistics of only N random crops of the subset (a small
gallery). Prints per subset: cross-camera mAP and rank-1 (every crop asks for the others
from other cameras) of the binary code (Hamming) and the float feature (cosine), and attribute mA (decision at 0).
Transductive by design: the statistics come from the evaluation crops themselves, never their
labels or identities.
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import torch
from torch import nn

from deepssh_gui.evaluate.metrics import cosine_distance, map_cmc, mean_accuracy
from deepssh_gui.learn.checkpoint import load_model
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.heads import pooled_features
from deepssh_gui.learn.train import preload_images
from deepssh_gui.model.layout import hamming, pack_bits


@torch.inference_mode()
def adapt(net: nn.Module, images: np.ndarray, backbone_only: bool, batch_size: int = 128) -> nn.Module:
    """A copy of ``net`` whose BatchNorm running statistics are the plain average over ``images``."""
    net = copy.deepcopy(net).eval()
    scope = net.features if backbone_only else net
    bns = [m for m in scope.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over every batch
        m.train()
    for s in range(0, len(images), batch_size):
        x = net.normalise(torch.from_numpy(np.ascontiguousarray(images[s:s + batch_size])))
        feat = net.embed(x)
        if not backbone_only:
            net.heads(feat)  # feat_bn and id_bn see the batch too
    return net.eval()


@torch.inference_mode()
def measure(net: nn.Module, images: np.ndarray, ids: np.ndarray, cams: np.ndarray, labels: np.ndarray) -> dict:
    feat = pooled_features(net, images)
    h, logits = net.heads(torch.from_numpy(feat))
    codes = pack_bits(h.numpy() > 0)
    ham = hamming(codes, codes).astype(np.float32)
    same_camera = cams[:, None] == cams[None, :]  # the query itself included
    out = {"mA": mean_accuracy(logits.numpy() > 0, labels)[0]}
    for name, dist in (("binary", ham), ("float", cosine_distance(feat, feat))):
        m, cmc, _ = map_cmc(dist, ids, ids, junk=same_camera)
        out[f"{name}_mAP"], out[f"{name}_r1"] = m, cmc[0]
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--sample", type=int, nargs="*", default=[128], help="small-gallery sizes to try")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.set_num_threads(2)
    m = load_model(args.model)
    net = m.net.eval()
    rng = np.random.default_rng(args.seed)
    print(f"{'subset':<6} {'model':<26} {'bin mAP':>8} {'bin r1':>7} {'flt mAP':>8} {'b/f':>5} {'mA':>6}")
    for subset in ("GRID", "PRID"):
        data = load_dataset("peta", "../shared/data/peta", [subset])
        imgs, ok = preload_images(data.paths, m.config.input_hw)
        data, imgs = data.subset(ok), imgs[ok]
        ids = np.array([s.identity for s in data.samples])
        cams = np.array([s.camera for s in data.samples])
        variants = [("as trained", net), ("AdaBN, every BN", adapt(net, imgs, False)),
                    ("AdaBN, backbone BN only", adapt(net, imgs, True))]
        for n in args.sample:
            pick = rng.choice(len(imgs), size=min(n, len(imgs)), replace=False)
            variants.append((f"AdaBN every BN, {n} crops", adapt(net, imgs[pick], False)))
        for name, v in variants:
            r = measure(v, imgs, ids, cams, data.labels)
            print(f"{subset:<6} {name:<26} {100 * r['binary_mAP']:8.2f} {100 * r['binary_r1']:7.2f} "
                  f"{100 * r['float_mAP']:8.2f} {r['binary_mAP'] / r['float_mAP']:5.2f} {100 * r['mA']:6.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
