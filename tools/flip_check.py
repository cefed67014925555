"""Does averaging a crop's attribute logits with its mirror image's help on unseen cameras?

usage: .venv/bin/python tools/flip_check.py MODEL   (from the repository root, with ../shared present)

Prints the attribute mA of the decision at 0 on PETA's GRID and PRID (never trained on) from the
crop alone, its mirror alone and the mean of both logits (test-time flipping, which would double
the encoding cost).
"""

import sys

import numpy as np
import torch

from deepssh_gui.evaluate.metrics import mean_accuracy
from deepssh_gui.learn.checkpoint import load_model
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.heads import pooled_features
from deepssh_gui.learn.train import preload_images


@torch.inference_mode()
def logits(net, imgs: np.ndarray, flip: bool) -> np.ndarray:
    """Attribute logits ``float32 (N, A)``."""
    return net.heads(torch.from_numpy(pooled_features(net, imgs, flip=flip)))[1].numpy()


def main(path: str) -> None:
    torch.set_num_threads(2)
    m = load_model(path)
    data = load_dataset("peta", "../shared/data/peta", ["GRID", "PRID"])
    imgs, ok = preload_images(data.paths, m.config.input_hw)
    data, imgs = data.subset(ok), imgs[ok]
    plain, mirror = logits(m.net, imgs, False), logits(m.net, imgs, True)
    for name, lg in (("crop", plain), ("mirror", mirror), ("mean of both", (plain + mirror) / 2)):
        print(f"{name:<14} mA {100 * mean_accuracy(lg > 0, data.labels)[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
