"""Is model B really better than model A on unseen cameras, or is it trial noise? (paired)

usage: .venv/bin/python tools/paired_compare.py A_MODEL A_NAME B_MODEL B_NAME [--draws 2000]
       (repository root, ../shared present; NAME: the tools/eval_ldo.sh report name, e.g. ldo_kt)

On PETA's GRID + PRID (every crop, the protocol of `deepssh evaluate --split all`), both models
encode the same crops, and each figure is compared query by query or crop by crop:
- all-vs-all binary mAP: the per-query APs of the two models, paired;
- attribute mA of the code's decision bits: recomputed on the resampled crops;
- analyst P@10 by probability: the ten fixed queries of docs/results/ldo/NAME_gridprid.json, paired.
For mAP and mA, identities (with all their crops and queries) are resampled with replacement
(a cluster bootstrap: one person's crops are not independent); for P@10, the ten queries are.
Prints B - A with its 95% percentile interval. An interval that holds 0 says the two are not
told apart on this data.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from deepssh_gui.model.encoder import bit_scores
from deepssh_gui.evaluate.metrics import mean_accuracy
from deepssh_gui.evaluate.protocol import evaluate_subsets
from deepssh_gui.learn.datasets import load_dataset
from deepssh_gui.learn.train import preload_images
from deepssh_gui.model.layout import hamming
from deepssh_gui.model.modelfile import load_model_file


def encode(path: str, data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(per-query AP float64 (Q,), query identity keys (Q,), attribute decisions bool (N, A))``."""
    mf = load_model_file(path)
    images, ok = preload_images(data.paths, mf.config.input_hw)
    assert ok.all(), "every GRID and PRID crop must decode"
    codes, _, _ = mf.encoder().encode(images)
    per, _ = evaluate_subsets(data.samples, lambda q, g: hamming(codes[q], codes[g]).astype(np.float32))
    aps = np.concatenate([r.aps for r in per])
    keys = np.concatenate([[f"{r.subset}/{i}" for i in r.query_ids] for r in per])
    return aps, keys, bit_scores(codes, mf.config) >= 0.5  # the decision `deepssh evaluate` scores


def interval(samples: np.ndarray) -> str:
    lo, hi = np.percentile(samples, [2.5, 97.5])
    return f"[{lo:+.2f}, {hi:+.2f}]"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("a_model"); ap.add_argument("a_name"); ap.add_argument("b_model"); ap.add_argument("b_name")
    ap.add_argument("--draws", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    data = load_dataset("peta", "../shared/data/peta", ["GRID", "PRID"])
    ap_a, keys, dec_a = encode(args.a_model, data)
    ap_b, keys_b, dec_b = encode(args.b_model, data)
    assert (keys == keys_b).all()
    labels = data.labels
    crop_keys = np.array([f"{s.subset}/{s.identity}" for s in data.samples])
    people = np.unique(crop_keys)
    crops_of = {p: np.flatnonzero(crop_keys == p) for p in people}
    queries_of = {p: np.flatnonzero(keys == p) for p in people}
    rng = np.random.default_rng(args.seed)
    d_map, d_ma = [], []
    for _ in range(args.draws):
        draw = people[rng.integers(0, len(people), len(people))]
        q = np.concatenate([queries_of[p] for p in draw])
        c = np.concatenate([crops_of[p] for p in draw])
        d_map.append(100 * (ap_b[q].mean() - ap_a[q].mean()))
        d_ma.append(100 * (mean_accuracy(dec_b[c], labels[c])[0] - mean_accuracy(dec_a[c], labels[c])[0]))
    p10 = []
    for name in (args.a_name, args.b_name):
        report = json.loads((Path("docs/results/ldo") / f"{name}_gridprid.json").read_text())
        p10.append(np.array([100 * x["probability_p10"] for x in report["analyst_queries"]["queries"]]))
    diff = p10[1] - p10[0]
    boot = [diff[rng.integers(0, len(diff), len(diff))].mean() for _ in range(args.draws)]
    print(f"{args.b_name} - {args.a_name} on GRID + PRID ({len(people)} identities, {len(keys)} queries, "
          f"{len(crop_keys)} crops; {args.draws} draws)")
    print(f"binary mAP  {100 * ap_a.mean():.2f} -> {100 * ap_b.mean():.2f}: {100 * (ap_b.mean() - ap_a.mean()):+.2f}"
          f" {interval(np.array(d_map))}; queries better / worse / equal: {(ap_b > ap_a).sum()} / "
          f"{(ap_b < ap_a).sum()} / {(ap_b == ap_a).sum()}")
    ma_a, ma_b = mean_accuracy(dec_a, labels)[0], mean_accuracy(dec_b, labels)[0]
    print(f"attr mA     {100 * ma_a:.2f} -> {100 * ma_b:.2f}: {100 * (ma_b - ma_a):+.2f} {interval(np.array(d_ma))}")
    print(f"analyst P@10 {p10[0].mean():.1f} -> {p10[1].mean():.1f}: {diff.mean():+.1f} {interval(np.array(boot))};"
          f" per query {' '.join(f'{d:+.0f}' for d in diff)}")


if __name__ == "__main__":
    main()
