"""Would a photo query rank people better if the code's attribute bits counted less than its identity bits?

usage: .venv/bin/python tools/code_weight_check.py MODEL [W ...]   (repository root, ../shared present)

Distance = Hamming(identity bits) + W x Hamming(attribute bits); W = 1 is the plain Hamming distance
the gallery uses today, W = 0 the identity bits alone. Printed for CUHK03's validation identities
(cameras seen in training, people not: where W would be chosen) and for PETA's GRID + PRID (cameras
never trained on: where it is checked), all-vs-all mAP with the `deepssh evaluate` protocol.
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from deepssh_gui.evaluate.evaluation import retrieval_report
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.datasets.split import split_train_val
from deepssh_gui.learn.train import preload_images
from deepssh_gui.model.layout import hamming
from deepssh_gui.model.modelfile import load_model_file


def main(path: str, weights: list[float]) -> None:
    torch.set_num_threads(2)
    mf = load_model_file(path)
    a = mf.config.layout.n_attr_bits  # 228 at 512 bits: not a whole number of bytes
    sets = (("CUHK03 val", split_train_val(load_dataset("cuhk03", "../shared/data/cuhk03/train", None))[1]),
            ("GRID+PRID", load_dataset("peta", "../shared/data/peta", ["GRID", "PRID"])))
    print(f"{path}: {a} attribute bits, {mf.config.nbits - a} identity bits; all-vs-all binary mAP")
    print("W      " + "  ".join(f"{name:>10}" for name, _ in sets))
    table = {w: [] for w in weights}
    for _, data in sets:
        imgs, ok = preload_images(data.paths, mf.config.input_hw)
        data = data.subset(ok)
        codes, _, _ = mf.encoder().encode(imgs[ok])
        bits = np.unpackbits(codes, axis=1)
        attr, ident = np.packbits(bits[:, :a], axis=1), np.packbits(bits[:, a:], axis=1)
        for w in weights:
            def dist(q, g, w=w):
                return (hamming(ident[q], ident[g]) + w * hamming(attr[q], attr[g])).astype(np.float32)
            table[w].append(100 * retrieval_report(data.samples, dist, two_camera=False)["mAP"])
    for w, row in table.items():
        print(f"{w:<6} " + "  ".join(f"{v:10.2f}" for v in row))


if __name__ == "__main__":
    main(sys.argv[1], [float(w) for w in sys.argv[2:]] or [0.0, 0.25, 0.5, 0.75, 1.0, 1.5])
