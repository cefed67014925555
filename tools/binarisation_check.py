"""Where a model's unseen-camera quality is lost between its float feature and its binary code,
and whether a rotation fitted after training wins it back (docs/model.md, issue #20 item 4).

usage: .venv/bin/python tools/binarisation_check.py MODEL [BITS ...]   (from the repository root,
with ../shared present). Prints the all-vs-all mAP and the classic single-shot rank-1 on PETA's
GRID and PRID (never trained on) for:

- the float feature, the relaxed code and the identity pre-activations (cosine);
- the learnt code, its identity bits and its attribute bits (Hamming);
- the learnt attribute bits with identity bits rotated after training: ITQ (Gong and Lazebnik,
  CVPR 2011) on the identity pre-activations, with and without centring, and centring alone;
  the means and rotations are fitted on half of CUHK03's training crops, never on the test
  subsets; "centred on the test set" uses the test crops' own mean (transductive, for reference);
- BITS: PCA and PCA + ITQ binarisations of the standardised float feature at BITS bits
  (default: as many as the code has identity bits), fitted on the same CUHK03 crops.
"""

import sys

import numpy as np
import torch

from deepssh_gui.evaluate.evaluation import retrieval_report
from deepssh_gui.evaluate.metrics import cosine_distance
from deepssh_gui.learn.checkpoint import load_model
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.datasets.split import split_train_val
from deepssh_gui.learn.heads import pooled_features
from deepssh_gui.learn.train import preload_images
from deepssh_gui.model.layout import hamming


@torch.inference_mode()
def encode(model, data):
    """``(data kept, feature (N, C), identity pre-activation (N, I), relaxed code (N, nbits))``, float32."""
    imgs, ok = preload_images(data.paths, model.config.input_hw)
    net = model.net
    feats = pooled_features(net, imgs[ok])  # leaves net in eval mode
    f = torch.from_numpy(feats)
    code, _ = net.heads(f)
    z = net.id_bn(net.id_hash(net.feat_bn(f)))  # eval mode: the identity bits are sign(z)
    return data.subset(ok), feats, z.numpy(), code.numpy()


def report(samples, name: str, dist) -> float:
    r = retrieval_report(samples, dist)
    r1 = " / ".join(f"{s} {100 * v['rank1']:.1f}" for s, v in r["classic"].items())
    print(f"{name:<44} mAP {100 * r['mAP']:5.2f}   classic rank-1 {r1}", flush=True)
    return r["mAP"]


def hamming_of(bits: np.ndarray):
    c = np.packbits(bits.astype(np.uint8), axis=1)
    return lambda q, g: hamming(c[q], c[g]).astype(np.float32)


def cosine_of(x: np.ndarray):
    return lambda q, g: cosine_distance(x[q], x[g])


def itq(x: np.ndarray, iters: int = 50, seed: int = 0) -> np.ndarray:
    """Orthogonal ``(D, D)`` rotation minimising ``|sign(x R) - x R|`` (ITQ)."""
    r = np.linalg.qr(np.random.default_rng(seed).standard_normal((x.shape[1], x.shape[1])))[0]
    for _ in range(iters):
        u, _, wt = np.linalg.svd(np.sign(x @ r).T @ x)
        r = (u @ wt).T
    return r


def main(path: str, bit_counts: list[int]) -> None:
    m = load_model(path)
    torch.set_num_threads(2)
    test, feats, z, relaxed = encode(m, load_dataset("peta", "../shared/data/peta", ["GRID", "PRID"]))
    train, _ = split_train_val(load_dataset("cuhk03", "../shared/data/cuhk03/train", None))
    _, fit_feats, fit_z, _ = encode(m, train.subset(np.arange(len(train)) % 2 == 0))
    s = test.samples
    a = m.config.layout.n_attr_bits
    attr = relaxed[:, :a] > 0
    print(f"{len(s)} test crops; rotations fitted on {len(fit_z)} CUHK03 training crops; "
          f"{a} attribute bits, {z.shape[1]} identity bits")
    f_map = report(s, "float feature (cosine)", cosine_of(feats))
    report(s, "relaxed code (cosine)", cosine_of(relaxed))
    report(s, "identity pre-activations (cosine)", cosine_of(z))
    report(s, "attribute bits", hamming_of(attr))
    mu = fit_z.mean(0)
    identity = {
        "learnt": z > 0,
        "ITQ rotation, not centred": z @ itq(fit_z) > 0,
        "ITQ rotation, centred": (z - mu) @ itq(fit_z - mu) > 0,
        "centred only": z - mu > 0,
        "centred on the test set (transductive)": z - z.mean(0) > 0,
    }
    for name, bits in identity.items():
        b_map = report(s, f"{name}: code", hamming_of(np.concatenate([attr, bits], axis=1)))
        print(f"{'':<44} binary/float {b_map / f_map:.3f}")
        report(s, f"{name}: identity bits only", hamming_of(bits))
    fmu, fsd = fit_feats.mean(0), fit_feats.std(0) + 1e-6
    x, xt = (fit_feats - fmu) / fsd, (feats - fmu) / fsd
    vt = np.linalg.svd(x, full_matrices=False)[2]
    for nb in bit_counts or [z.shape[1]]:
        p = vt[:nb].T
        for how, rot in (("PCA", np.eye(nb)), ("PCA + ITQ", itq(x @ p))):
            report(s, f"{how}, {nb} bits of the float feature", hamming_of(xt @ p @ rot > 0))


if __name__ == "__main__":
    main(sys.argv[1], [int(b) for b in sys.argv[2:]])
