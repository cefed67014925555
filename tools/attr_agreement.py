"""Do a model's attribute decisions for one person agree between cameras? (label-free)

usage: .venv/bin/python tools/attr_agreement.py MODEL[=LABEL] ...   (repository root, ../shared present)

For every identity seen by two or more cameras, on PETA's GRID and PRID (cameras never trained on
by the leave-domain-out runs) and CUHK03's validation identities (identities never trained on),
every pair of that person's crops from different cameras is compared: the fraction of the 57
attribute decisions (the decision bit: logit > 0, which includes fitted thresholds) that agree,
and the mean absolute difference of the attribute probabilities (sigmoid of the logit, before
calibration). A person's attributes are the same in both cameras, so disagreement is error; but a
model that always answers the same would agree perfectly, so read it beside attribute mA.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from deepssh_gui.learn.checkpoint import load_model
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.datasets.split import split_train_val
from deepssh_gui.learn.heads import pooled_features
from deepssh_gui.learn.train import preload_images

SETS = (("GRID+PRID", "peta", "../shared/data/peta", ["GRID", "PRID"], "all"),
        ("CUHK03 val", "cuhk03", "../shared/data/cuhk03/train", None, "val"))


def cross_camera_pairs(ids: list[str], cams: list[str]) -> np.ndarray:
    """``int64 (M, 2)``: every pair of crops of one identity taken by different cameras."""
    by_id: dict[str, list[int]] = {}
    for i, pid in enumerate(ids):
        by_id.setdefault(pid, []).append(i)
    pairs = [(a, b) for ix in by_id.values() for j, a in enumerate(ix) for b in ix[j + 1:] if cams[a] != cams[b]]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


@torch.inference_mode()
def agreement(net: torch.nn.Module, data, images: np.ndarray) -> tuple[float, float, int]:
    """``(decision agreement, mean |p_a - p_b|, pairs)`` over the cross-camera pairs of ``data``."""
    net.eval()
    _, logits = net.heads(torch.from_numpy(pooled_features(net, images)))
    z = logits.numpy()
    pairs = cross_camera_pairs([s.identity for s in data.samples], [s.camera or "" for s in data.samples])
    a, b = z[pairs[:, 0]], z[pairs[:, 1]]
    p_a, p_b = 1 / (1 + np.exp(-a)), 1 / (1 + np.exp(-b))
    return float(((a > 0) == (b > 0)).mean()), float(np.abs(p_a - p_b).mean()), len(pairs)


def main(argv: list[str]) -> int:
    torch.set_num_threads(2)
    models = [(load_model(a.partition("=")[0]), a.partition("=")[2] or a) for a in argv]
    print("| model | " + " | ".join(f"{name}: agreement, mean abs p gap" for name, *_ in SETS) + " |")
    print("|---|" + "---|" * len(SETS))
    rows = {label: [] for _, label in models}
    for name, dataset, root, subsets, split in SETS:
        data = load_dataset(dataset, root, subsets)
        if split == "val":
            data = split_train_val(data)[1]
        decoded = {}  # input size -> (crops kept, images): models of one size share them
        for model, label in models:
            size = model.config.input_hw
            if size not in decoded:
                imgs, ok = preload_images(data.paths, size)
                decoded[size] = (data.subset(ok), imgs[ok])
            agree, gap, n = agreement(model.net, *decoded[size])
            rows[label].append(f"{100 * agree:.1f}, {gap:.3f} ({n} pairs)")
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
