"""Training DeepSSH: identity + attribute supervision on a structured relaxed code.

Losses (weights in :class:`TrainConfig`):
- attribute: weighted BCE of each attribute's logit, whose thermometer code is that
  attribute's bits (positives weighted ``exp(1 - p)``, negatives ``exp(p)``, ``p`` the
  training prior, as in DeepMAR, so rare attributes are not ignored);
- identity: cosine-softmax classifier with an additive margin over the whole code, so that
  codes of one person point the same way, which is what Hamming distance measures;
- quantisation: ``mean((|h| - 1)^2)`` pulls the relaxed identity bits towards ±1;
- balance: ``mean_bits(mean_batch(h)^2)`` on identity bits keeps each bit used about half
  the time (attribute bits follow their attribute's prior instead);
- similarity preservation (optional, ``w_sim``): the relaxed identity bits' pairwise
  affinities ``h_i . h_j / n_id`` follow the cosine similarities of the (standardised, detached)
  pooled float feature, because on unseen cameras that float feature ranks better than the
  code learnt from training identities alone (docs/model.md);
- attribute consistency (optional, ``w_attr_consist``): within each identity of the P x K part
  of the batch, every crop's attribute probabilities are pulled (KL divergence) towards the
  identity's mean probabilities, detached. A person's attributes do not change between cameras,
  so the identity-only sources (CUHK03, CUHK01: two cameras each, no attribute labels) teach
  attribute predictions that hold across cameras.

Determinism: every random choice of epoch ``e`` comes from seed ``seed * 1000 + e``, so a run
resumed after epoch ``e`` gives the same weights as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..common.atomic import atomic_write_with
from ..model.modelfile import FORMAT_VERSION, STATE_FORMAT
from .checkpoint import safe_load, save_model, to_numpy_meta
from .datasets.base import SampleSet
from ..model.decoder import Decoder
from .encode import encode_arrays
from ..common.errors import CheckpointError, ImageError
from ..common.imageio import load_crop
from ..model.layout import default_bits_per_attr
from .network import DeepSSHNet, ModelConfig, add_mixstyle
from ..common.progress import Progress, no_progress
from .sampler import PKSampler


@dataclass
class TrainConfig:
    out: str
    nbits: int = 256
    bits_per_attr: int | None = None
    backbone: str = "mobilenet_v2"
    backbone_weights: str | None = None
    input_hw: tuple[int, int] = (128, 64)
    epochs: int = 12
    batch_size: int = 64
    lr: float = 1e-3
    backbone_lr_mult: float = 0.3
    weight_decay: float = 5e-4
    freeze_blocks: int = 4  # stem + first blocks keep ImageNet filters; halves backward cost on CPU
    w_attr: float = 2.0
    w_id: float = 1.0
    w_quant: float = 0.1
    w_balance: float = 0.1
    id_scale: float = 16.0
    id_margin: float = 0.15
    seed: int = 0
    threads: int = 0
    device: str = "cpu"  # "cuda" where a GPU is lent; the data and the random draws stay on the CPU
    val_every: int = 1
    max_steps_per_epoch: int = 0  # 0 = full epoch; tests use a few steps
    # generalisation recipe (docs/model.md has the ablation)
    ibn_after: tuple[int, ...] = ()
    color_jitter: float = 0.0  # brightness/contrast/saturation factors in [1 - j, 1 + j]; no hue shift
    pk: tuple[int, int] = (0, 0)  # (P identities, K images each) per batch; (0, 0) = uniform batches
    w_triplet: float = 0.0
    triplet_margin: float = 0.3
    w_sim: float = 0.0
    w_attr_consist: float = 0.0
    stripes: int = 0  # region pooling: the heads also read this many horizontal stripes (ModelConfig.stripes)
    mixstyle_after: tuple[int, ...] = ()  # backbone blocks followed by MixStyle while training
    mixstyle_p: float = 0.5
    extra_labelled: bool = False  # the non-P x K part of a batch holds attribute-labelled crops only
    # "bf16": autocast to bfloat16 for the forward pass (weights, optimiser and losses stay fp32);
    # "fp32": plain float. Channels-last memory layout is used with either on the CPU.
    precision: str = "fp32"
    channels_last: bool = True
    command: str = ""

    @property
    def state_path(self) -> Path:
        return Path(self.out).with_suffix(".state.pt")

    @property
    def log_path(self) -> Path:
        return Path(self.out).with_suffix(".log")

    def arch_key(self) -> dict:
        """Fields that must match for a resume to be valid."""
        d = asdict(self)
        for k in ("epochs", "threads", "device", "val_every", "command", "out", "channels_last"):
            d.pop(k)  # memory layout changes speed, not the arithmetic's meaning
        d["input_hw"] = list(self.input_hw)
        d["ibn_after"], d["pk"] = list(self.ibn_after), list(self.pk)
        d["mixstyle_after"] = list(self.mixstyle_after)
        # options added after training states were first written: their defaults are left out,
        # so states written before them still resume
        for k, default in (("stripes", 0), ("mixstyle_after", []), ("mixstyle_p", 0.5), ("extra_labelled", False),
                           ("precision", "fp32"), ("w_attr_consist", 0.0)):
            if d[k] == default:
                del d[k]
        return d


# ----------------------------------------------------------------------------- image cache

def _cache_dir() -> Path:
    return Path(os.environ.get("DEEPSSH_CACHE", Path.home() / ".cache" / "deepssh"))


def preload_images(paths: list[str], hw: tuple[int, int], progress: Progress = no_progress,
                   use_cache: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Decode and resize every image once: ``(uint8 (N, H, W, 3), bool (N,) ok)``.

    The array is cached on disk keyed by paths, sizes, mtimes and input size, so a second
    run (or a resume) skips decoding.
    """
    h = hashlib.sha256(json.dumps(list(hw)).encode())
    for p in paths:
        try:
            st = os.stat(p)
            h.update(f"{p}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{p}|missing\n".encode())
    cache = _cache_dir() / f"images-{h.hexdigest()[:24]}.npz"
    if use_cache and cache.is_file():
        try:
            with np.load(cache) as z:
                return z["images"], z["ok"]
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache is rebuilt
    images = np.zeros((len(paths), hw[0], hw[1], 3), dtype=np.uint8)
    ok = np.zeros(len(paths), dtype=bool)
    for i, p in enumerate(paths):
        try:
            images[i] = load_crop(p, hw)
            ok[i] = True
        except ImageError:
            pass
        if i % 200 == 0 or i == len(paths) - 1:
            progress(i + 1, len(paths), "decoding")
    if use_cache:
        try:
            atomic_write_with(cache, lambda f: np.savez(f, images=images, ok=ok))
        except OSError:
            pass  # caching is an optimisation only
    return images, ok


# ----------------------------------------------------------------------------- augmentation

def augment(batch: torch.Tensor, gen: torch.Generator, pad: int = 6, color_jitter: float = 0.0) -> torch.Tensor:
    """Random flip, translation (reflect-pad then crop), colour jitter and erasing.

    ``uint8 (N, H, W, 3)`` in, ``float32 (N, H, W, 3)`` in [0, 255] out. The jitter scales
    brightness, contrast and saturation but never shifts hue, because colour attributes
    ("upperBodyRed") must stay true after augmentation.
    """
    n, h, w, _ = batch.shape
    x = batch.permute(0, 3, 1, 2).float()
    if color_jitter > 0:
        def factors() -> torch.Tensor:
            return (1 + (torch.rand(n, generator=gen) * 2 - 1) * color_jitter).view(n, 1, 1, 1)
        x = x * factors()
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * factors() + mean
        gray = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
        x = ((x - gray) * factors() + gray).clamp(0, 255)
    flip = torch.rand(n, generator=gen) < 0.5
    x[flip] = x[flip].flip(3)
    xp = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (n,), generator=gen)
    out = torch.stack([xp[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w] for i in range(n)])
    # Random erasing, small boxes only: big ones would hide the attribute being learned.
    erase = torch.rand(n, generator=gen) < 0.3
    for i in torch.nonzero(erase).flatten().tolist():
        eh = int(torch.randint(h // 8, h // 3, (1,), generator=gen))
        ew = int(torch.randint(w // 8, w // 2, (1,), generator=gen))
        y0 = int(torch.randint(0, h - eh + 1, (1,), generator=gen))
        x0 = int(torch.randint(0, w - ew + 1, (1,), generator=gen))
        out[i, :, y0:y0 + eh, x0:x0 + ew] = torch.rand((3, 1, 1), generator=gen) * 255
    return out.permute(0, 2, 3, 1)


# ----------------------------------------------------------------------------- precision

PRECISIONS = ("fp32", "bf16")


def autocast(device: torch.device, precision: str):
    """The autocast context for ``precision`` on ``device`` (a no-op context for fp32)."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=precision == "bf16")


# ----------------------------------------------------------------------------- losses

class CosineClassifier(nn.Module):
    def __init__(self, dim: int, n_classes: int, scale: float, margin: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_classes, dim) * 0.01)
        self.scale, self.margin = scale, margin

    def forward(self, code: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        cos = F.normalize(code, dim=1) @ F.normalize(self.weight, dim=1).T
        logits = self.scale * (cos - self.margin * F.one_hot(target, cos.shape[1]))
        return F.cross_entropy(logits, target, label_smoothing=0.1)


def batch_hard_triplet(emb: torch.Tensor, target: torch.Tensor, margin: float) -> torch.Tensor:
    """Batch-hard triplet loss (Hermans et al. 2017) on cosine distances of ``emb (N, D)``.

    For each anchor: its farthest positive against its nearest negative. Anchors without a
    positive or a negative in the batch are skipped.
    """
    e = F.normalize(emb, dim=1)
    d = 1 - e @ e.T
    same = target[:, None] == target[None, :]
    eye = torch.eye(len(target), dtype=torch.bool, device=emb.device)
    pos = same & ~eye
    valid = pos.any(1) & (~same).any(1)
    if not valid.any():
        return emb.sum() * 0
    hardest_pos = d.masked_fill(~pos, -1).max(1).values
    hardest_neg = d.masked_fill(same, 3).min(1).values
    return F.relu(hardest_pos - hardest_neg + margin)[valid].mean()


def similarity_preservation(h_id: torch.Tensor, feat: torch.Tensor, feat_bn: nn.BatchNorm1d) -> torch.Tensor:
    """Mean squared gap between code affinities and float-feature cosines in the batch.

    ``h_id float (N, n_id)`` relaxed identity bits; ``feat float (N, C)`` pooled features,
    standardised with ``feat_bn``'s running statistics (not its batch statistics, so the
    teacher does not move the BatchNorm) and detached: the float feature is the teacher.
    """
    with torch.no_grad():
        f = (feat - feat_bn.running_mean) / torch.sqrt(feat_bn.running_var + feat_bn.eps)
        f = F.normalize(f, dim=1)
        target = f @ f.T
    affinity = h_id @ h_id.T / h_id.shape[1]
    return (affinity - target).pow(2).mean()


def attribute_consistency(logits: torch.Tensor, p: int, k: int) -> torch.Tensor:
    """Mean KL divergence of each crop's attribute probabilities from its identity's mean.

    ``logits float (p * k, A)``: the P x K part of a batch, ``k`` consecutive rows per identity.
    The identity's mean probability is the (detached) target, so each crop moves towards the
    others' consensus; nothing pushes probabilities towards 0 or 1. Zero when all ``k`` crops
    of every identity have the same logits.
    """
    lg = logits.reshape(p, k, -1)
    with torch.no_grad():
        q = torch.sigmoid(lg).mean(1, keepdim=True).clamp(1e-4, 1 - 1e-4).expand_as(lg)
        entropy = F.binary_cross_entropy(q, q, reduction="none")
    # KL(q || sigmoid(lg)) = BCE(lg, q) - H(q), per attribute, averaged
    return (F.binary_cross_entropy_with_logits(lg, q, reduction="none") - entropy).mean()


def attribute_loss(logits: torch.Tensor, labels: torch.Tensor, prior: torch.Tensor) -> torch.Tensor:
    """Weighted BCE; ``labels`` int8 with -1 = unknown (masked out)."""
    known = labels >= 0
    y = labels.clamp(min=0).float()
    w = torch.where(y > 0, torch.exp(1 - prior), torch.exp(prior)) * known
    loss = F.binary_cross_entropy_with_logits(logits, y, weight=w, reduction="sum")
    return loss / known.sum().clamp(min=1)


# ----------------------------------------------------------------------------- evaluation

# ----------------------------------------------------------------------------- decoder

def fit_decoder(net: DeepSSHNet, images: np.ndarray, labels: np.ndarray) -> tuple[Decoder, dict]:
    """Fit the decoder on un-augmented training codes; return it with its reconstruction summary."""
    codes, _, _ = encode_arrays(net, images)
    dec = Decoder.fit(codes, labels, net.cfg.layout)
    acc = dec.reconstruction_accuracy(codes, labels)
    return dec, {"fitted_on": int(len(codes)), "train_reconstruction": round(acc["overall"], 4),
                 "digest": dec.digest()}


# ----------------------------------------------------------------------------- training

@dataclass
class TrainResult:
    epochs_done: int
    history: list[dict] = field(default_factory=list)
    interrupted: bool = False


def _lr_at(cfg: TrainConfig, epoch: int, step: int, steps: int) -> float:
    """Linear warm-up over the first epoch, then cosine decay to 1% of ``lr``."""
    t = epoch + step / max(1, steps)
    if t < 1.0:
        return cfg.lr * (0.1 + 0.9 * t)
    frac = (t - 1.0) / max(1e-9, cfg.epochs - 1.0)
    return cfg.lr * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def _log(cfg: TrainConfig, record: dict) -> None:
    cfg.log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(cfg.log_path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def deterministic_kernels(fill_fresh_memory: bool = False) -> None:
    """Deterministic kernels (exact resume), by default without filling every new tensor first.

    ``use_deterministic_algorithms`` also turns on ``fill_uninitialized_memory``, a debugging aid
    that writes every fresh allocation: 10-20% of a CPU training step here. No kernel used reads
    memory it did not write, so the weights are the same (tests/unit/learn/test_train.py).
    """
    torch.use_deterministic_algorithms(True)
    torch.utils.deterministic.fill_uninitialized_memory = fill_fresh_memory


def train(cfg: TrainConfig, train_set: SampleSet, val_set: SampleSet | None = None, resume: bool = True,
          progress: Progress = no_progress, print_fn: Callable[[str], None] = print,
          validator: Callable[[DeepSSHNet, SampleSet, np.ndarray], dict] | None = None,
          use_cache: bool = True, fill_fresh_memory: bool = False) -> TrainResult:
    """Train (or resume) and write ``cfg.out`` (model) and ``cfg.state_path`` every epoch.

    ``validator(net, val_set, val_images)`` (e.g. :func:`deepssh_gui.evaluate.validation.validate`)
    returns the metrics logged every ``cfg.val_every`` epochs; learning does not import evaluation.
    ``use_cache`` keeps the decoded images in the on-disk cache (:func:`preload_images`).
    ``fill_fresh_memory`` restores torch's filling of new tensors (the default before 2026-12-07;
    ``deepssh bench-train`` times it as a baseline).
    """
    if cfg.w_triplet and not cfg.pk[0]:
        raise ValueError("the triplet loss needs identity-balanced batches: set pk (--pk PxK)")
    if cfg.w_attr_consist and not cfg.pk[0]:
        raise ValueError("the attribute consistency loss needs identity-balanced batches: set pk (--pk PxK)")
    if cfg.pk[0] and cfg.pk[0] * cfg.pk[1] > cfg.batch_size:
        raise ValueError(f"a {cfg.pk[0]}x{cfg.pk[1]} batch does not fit in batch size {cfg.batch_size}")
    if cfg.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {cfg.precision!r}")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    dev = torch.device(cfg.device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("--device cuda was asked for but torch sees no CUDA GPU")
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    deterministic_kernels(fill_fresh_memory)
    schema = train_set.schema
    k = cfg.bits_per_attr or default_bits_per_attr(cfg.nbits, len(schema))
    mcfg = ModelConfig(nbits=cfg.nbits, n_attrs=len(schema), bits_per_attr=k, backbone=cfg.backbone,
                       input_hw=cfg.input_hw, ibn_after=cfg.ibn_after, stripes=cfg.stripes)
    torch.manual_seed(cfg.seed)
    net = DeepSSHNet(mcfg, pretrained=True, backbone_weights=cfg.backbone_weights)
    mix_hooks = add_mixstyle(net, cfg.mixstyle_after, cfg.mixstyle_p)

    print_fn(f"loading {len(train_set)} training images" + (f" and {len(val_set)} validation images" if val_set else ""))
    images, ok = preload_images(train_set.paths, mcfg.input_hw, progress, use_cache=use_cache)
    if not ok.all():
        print_fn(f"skipping {int((~ok).sum())} unreadable training images")
        train_set, images = train_set.subset(ok), images[ok]
    if val_set is not None and len(val_set):
        val_images, vok = preload_images(val_set.paths, mcfg.input_hw, progress, use_cache=use_cache)
        val_set, val_images = val_set.subset(vok), val_images[vok]
    pids, id_names = train_set.identity_index()
    labels = torch.from_numpy(train_set.labels)
    known = (train_set.labels >= 0)
    prior = torch.from_numpy(np.where(known.sum(0) > 0, (train_set.labels == 1).sum(0) / np.maximum(known.sum(0), 1), 0.5)
                             ).float().clamp(0.01, 0.99)
    classifier = CosineClassifier(cfg.nbits, len(id_names), cfg.id_scale, cfg.id_margin)
    net.to(dev)
    fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
    net.to(memory_format=fmt)
    classifier.to(dev)
    labels, prior = labels.to(dev), prior.to(dev)

    # frozen blocks keep ImageNet filters; the IBN norms inside them are new and always train
    frozen = [p for n, p in net.features[: cfg.freeze_blocks].named_parameters() if "ibn_norm" not in n
              ] if cfg.backbone == "mobilenet_v2" else []
    for p in frozen:
        p.requires_grad_(False)
    frozen_ids = {id(p) for p in frozen}
    backbone_params = [p for p in net.features.parameters() if id(p) not in frozen_ids]
    head_params = [p for n, p in net.named_parameters() if not n.startswith("features.")] + list(classifier.parameters())
    opt = torch.optim.AdamW([{"params": backbone_params, "lr_mult": cfg.backbone_lr_mult},
                             {"params": head_params, "lr_mult": 1.0}], lr=cfg.lr, weight_decay=cfg.weight_decay)

    start_epoch, history = 0, []
    if resume and cfg.state_path.is_file():
        st = safe_load(cfg.state_path)
        if st.get("format") != STATE_FORMAT:
            raise CheckpointError(f"{str(cfg.state_path)!r} is not a DeepSSH training state")
        if st.get("arch_key") != to_numpy_meta(cfg.arch_key()) or st.get("n_ids") != len(id_names):
            raise CheckpointError(f"{str(cfg.state_path)!r} was written with different training arguments or data; "
                                  f"delete it or choose another --out to start afresh")
        net.load_state_dict(st["model"])
        classifier.load_state_dict(st["classifier"])
        opt.load_state_dict(st["optimizer"])
        start_epoch, history = int(st["epoch"]), list(st["history"])
        print_fn(f"resuming after epoch {start_epoch} from {cfg.state_path}")
    result = TrainResult(start_epoch, history)
    if start_epoch >= cfg.epochs:
        print_fn(f"already trained for {start_epoch} epochs")
        return result

    n = len(train_set)
    sampler = None
    if cfg.pk[0]:
        sampler = PKSampler(train_set, cfg.pk[0], cfg.pk[1], extra=max(0, cfg.batch_size - cfg.pk[0] * cfg.pk[1]),
                            extra_labelled=cfg.extra_labelled)
    steps = n // cfg.batch_size
    if cfg.max_steps_per_epoch:
        steps = min(steps, cfg.max_steps_per_epoch)
    a_bits = mcfg.n_attrs * k
    try:
        for epoch in range(start_epoch, cfg.epochs):
            t0 = time.time()
            gen = torch.Generator().manual_seed(cfg.seed * 1000 + epoch)
            torch.manual_seed(cfg.seed * 1000 + epoch)  # dropout
            perm = torch.randperm(n, generator=gen)
            net.train()
            for m in net.features[: cfg.freeze_blocks].modules():
                if isinstance(m, nn.BatchNorm2d):
                    m.eval()  # frozen blocks keep ImageNet statistics
            sums = {"loss": 0.0, "attr": 0.0, "id": 0.0, "quant": 0.0, "balance": 0.0, "triplet": 0.0, "sim": 0.0,
                    "consist": 0.0}
            for step in range(steps):
                idx = sampler.batch(gen) if sampler else perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
                lr = _lr_at(cfg, epoch, step, steps)
                for g in opt.param_groups:
                    g["lr"] = lr * g["lr_mult"]
                x = net.normalise(augment(torch.from_numpy(images[idx.numpy()]), gen, color_jitter=cfg.color_jitter).to(dev))
                with autocast(dev, cfg.precision):
                    feat = net.embed(x.contiguous(memory_format=fmt))
                # the heads and every loss run in fp32: small logit and tanh differences matter there
                feat = feat.float()
                h, logits = net.heads(feat)
                l_attr = attribute_loss(logits, labels[idx.to(dev)], prior)
                target = torch.from_numpy(pids[idx.numpy()]).to(dev)
                l_id = classifier(h, target)
                l_tri = l_con = h.sum() * 0
                pk_n = cfg.pk[0] * cfg.pk[1]
                if sampler and cfg.w_triplet:
                    l_tri = batch_hard_triplet(h[:pk_n], target[:pk_n], cfg.triplet_margin)
                if sampler and cfg.w_attr_consist:
                    l_con = attribute_consistency(logits[:pk_n], cfg.pk[0], cfg.pk[1])
                # attribute bits are thermometer codes of their logits: quantise identity bits only
                l_quant = (h[:, a_bits:].abs() - 1).pow(2).mean()
                l_bal = h[:, a_bits:].mean(0).pow(2).mean()
                l_sim = similarity_preservation(h[:, a_bits:], feat, net.feat_bn) if cfg.w_sim else h.sum() * 0
                loss = (cfg.w_attr * l_attr + cfg.w_id * l_id + cfg.w_quant * l_quant + cfg.w_balance * l_bal
                        + cfg.w_triplet * l_tri + cfg.w_sim * l_sim + cfg.w_attr_consist * l_con)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                for key, v in zip(sums, (loss, l_attr, l_id, l_quant, l_bal, l_tri, l_sim, l_con)):
                    sums[key] += float(v.detach())
                progress(step + 1, steps, f"epoch {epoch + 1}/{cfg.epochs} loss {sums['loss'] / (step + 1):.3f}")
            record = {"epoch": epoch + 1, "seconds": round(time.time() - t0, 2), "steps": steps, "lr": lr,
                      **{k2: round(v / max(1, steps), 4) for k2, v in sums.items()}}
            if validator and val_set is not None and len(val_set) and cfg.val_every and (epoch + 1) % cfg.val_every == 0:
                record["val"] = {k2: (round(v, 4) if isinstance(v, float) else v)
                                 for k2, v in validator(net, val_set, val_images).items()}
            history.append(record)
            meta = to_numpy_meta({"command": cfg.command, "seed": cfg.seed, "epoch": epoch + 1,
                                  "train_config": asdict(cfg), "history": history,
                                  "n_train_images": n, "n_train_identities": len(id_names)})
            decoder = calibration = None
            if epoch + 1 == cfg.epochs:
                decoder, meta["decoder"] = fit_decoder(net, images, train_set.labels)
                if val_set is not None and len(val_set) and (val_set.labels >= 0).any():
                    from .calibrate import calibrate

                    calibration, meta["calibration"] = calibrate(net, val_set, val_images)
                if val_set is not None and len(val_set) > 1:
                    from .match_threshold import fit_photo_threshold

                    meta["match_threshold"] = fit_photo_threshold(net, val_set, val_images)
            save_model(cfg.out, net, schema, meta, decoder, calibration=calibration)
            state = {"format": STATE_FORMAT, "format_version": FORMAT_VERSION, "epoch": epoch + 1,
                     "arch_key": to_numpy_meta(cfg.arch_key()), "n_ids": len(id_names),
                     "model": net.state_dict(), "classifier": classifier.state_dict(),
                     "optimizer": opt.state_dict(), "history": history}
            atomic_write_with(cfg.state_path, lambda f: torch.save(state, f))
            _log(cfg, record)
            print_fn(json.dumps(record))
            result.epochs_done = epoch + 1
    except KeyboardInterrupt:
        result.interrupted = True
        print_fn(f"interrupted: the checkpoint of epoch {result.epochs_done} is intact at {cfg.out}"
                 f" (resume with the same command)")
    finally:
        for hook in mix_hooks:
            hook.remove()
    result.history = history
    return result
