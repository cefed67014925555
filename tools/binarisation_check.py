"""Where a model's unseen-camera quality is lost: its code's parts, and unsupervised binarisation
of its float feature, on PETA's GRID and PRID (classic single-shot rank-1, docs/model.md).

usage: .venv/bin/python tools/binarisation_check.py MODEL [BITS ...]   (from the repository root,
with ../shared present). PCA and ITQ rotations are fitted on half of CUHK03's training split,
never on the test subsets.
"""

import sys

import numpy as np

from deepssh_gui.evaluate.metrics import cosine_distance
from deepssh_gui.evaluate.protocol import evaluate_classic
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.datasets.split import split_train_val
from deepssh_gui.learn.train import preload_images
from deepssh_gui.model.layout import hamming
from deepssh_gui.model.modelfile import load_model_file


def encode(model, data):
    imgs, ok = preload_images(data.paths, model.config.input_hw)
    data = data.subset(ok)
    codes, _, feats = model.encoder().encode(imgs[ok], with_features=True)
    return data, codes, feats


def rank1(samples, dist) -> str:
    r = evaluate_classic(samples, dist)
    return " / ".join(f"{s} {100 * v['rank1']:.1f}" for s, v in r.items())


def itq(x: np.ndarray, iters: int = 50) -> np.ndarray:
    rng = np.random.default_rng(0)
    r = np.linalg.qr(rng.standard_normal((x.shape[1], x.shape[1])))[0]
    for _ in range(iters):
        u, _, wt = np.linalg.svd(np.sign(x @ r).T @ x)
        r = (u @ wt).T
    return r


def main(path: str, bit_counts: list[int]) -> None:
    m = load_model_file(path)
    a = m.config.layout.n_attr_bits
    test, codes, feats = encode(m, load_dataset("peta", "../shared/data/peta", ["GRID", "PRID"]))
    train, _ = split_train_val(load_dataset("cuhk03", "../shared/data/cuhk03/train", None))
    _, _, fit = encode(m, train.subset(np.arange(len(train)) % 2 == 0))
    bits = np.unpackbits(codes, axis=1)
    parts = {"all bits": codes, "identity bits": np.packbits(bits[:, a:], axis=1),
             "attribute bits": np.packbits(bits[:, :a], axis=1)}
    for name, c in parts.items():
        print(f"{name:<28} {rank1(test.samples, lambda q, g, c=c: hamming(c[q], c[g]).astype(np.float32))}")
    print(f"{'float feature (cosine)':<28} {rank1(test.samples, lambda q, g: cosine_distance(feats[q], feats[g]))}")
    mu, sd = fit.mean(0), fit.std(0) + 1e-6
    x, xt = (fit - mu) / sd, (feats - mu) / sd
    vt = np.linalg.svd(x, full_matrices=False)[2]
    for nb in bit_counts or [m.config.nbits - a]:
        p = vt[:nb].T
        for how, rot in (("PCA", np.eye(nb)), ("ITQ", itq(x @ p))):
            c = np.packbits((xt @ p @ rot > 0).astype(np.uint8), axis=1)
            print(f"{how} {nb:>4} bits of the float    {rank1(test.samples, lambda q, g: hamming(c[q], c[g]).astype(np.float32))}")


if __name__ == "__main__":
    main(sys.argv[1], [int(b) for b in sys.argv[2:]])
