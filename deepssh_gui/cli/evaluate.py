"""``deepssh evaluate`` and ``bits-table``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..common.errors import DeepSSHError
from .args import add_engine_arg, runtime_model, labelled_data, command_line, default_model_path


def _eval_set(args, model):
    """The labelled evaluation set and its decoded images, aligned."""
    from ..learn.datasets.split import split_train_val
    from ..common.progress import TqdmProgress
    from ..learn.train import preload_images

    data = labelled_data(args, model)
    if args.split != "all":
        train_set, val_set = split_train_val(data)
        data = val_set if args.split == "val" else train_set
    if not len(data):
        raise DeepSSHError("the evaluation set is empty")
    bar = TqdmProgress("decode images")
    images, ok = preload_images(data.paths, model.config.input_hw, bar)
    bar.close()
    if not ok.all():
        print(f"skipping {int((~ok).sum())} unreadable images", file=sys.stderr)
    return data.subset(ok), images[ok]


def cmd_evaluate(args: argparse.Namespace) -> int:
    from ..common.atomic import atomic_write_text
    from ..common.progress import TqdmProgress
    from ..evaluate.evaluation import evaluate
    from ..evaluate.plots import plot_cmc, plot_semantic

    model = runtime_model(args.model, args.engine)
    data, images = _eval_set(args, model)
    t0 = time.perf_counter()
    bar = TqdmProgress("evaluate", unit="step")
    report = evaluate(model, data, images, baselines=not args.no_baselines, progress=bar)
    bar.close()
    report.update({"dataset": args.dataset, "split": args.split, "subsets": args.subsets or "all", "engine": args.engine,
                   "seconds": round(time.perf_counter() - t0, 1),
                   "date": time.strftime("%Y-%m-%d"), "command": command_line()})
    atomic_write_text(args.out, json.dumps(report, indent=1, default=float))
    if args.plots:
        Path(args.plots).mkdir(parents=True, exist_ok=True)
        plot_cmc(report, Path(args.plots) / "cmc.png")
        if "semantic_queries" in report:
            plot_semantic(report, Path(args.plots) / "semantic_rank.png")
    print(_summary(report))
    return 0


def _summary(report: dict) -> str:
    lines = [f"{report['model']['name']} ({report['model']['nbits']} bits) on {report['n_images']} images, "
             f"{report['n_identities']} identities"]
    for key, r in report["retrieval"].items():
        lines.append(f"  {key:<15} mAP {100 * r['mAP']:5.1f}  rank-1 {100 * r['rank1']:5.1f}  "
                     f"rank-5 {100 * r['rank5']:5.1f}  ({r['n_queries']} queries)")
        for subset, c in r.get("classic", {}).items():
            lines.append(f"    classic {subset:<11} rank-1 {100 * c['rank1']:5.1f}  rank-5 {100 * c['rank5']:5.1f}  "
                         f"rank-10 {100 * c['rank10']:5.1f}  ({c['n_ids']} ids x {c['trials']} trials)")
    if "attributes" in report:
        lines.append(f"  attribute mA from code bits: {100 * report['attributes']['mA']:.1f}")
        ap = report["attribute_probabilities"]
        lines.append(f"  attribute mA from {'calibrated ' if ap['calibrated'] else ''}probabilities: "
                     f"{100 * ap['mA']:.1f} (ECE {ap['ece']:.3f})")
    if "decoder_reconstruction" in report:
        lines.append(f"  decoder reconstruction accuracy: {100 * report['decoder_reconstruction']['overall']:.1f}")
        sem = report["semantic_queries"]
        lines.append("  semantic rank-5 by #attributes: " + ", ".join(
            f"{n}:{100 * v:.1f}" for n, v in zip(sem["n_attributes"], sem["rank5"])))
    if "analyst_queries" in report:
        mq = report["analyst_queries"]["mean"]
        lines.append(f"  analyst queries, mean precision@10: probability {100 * mq['probability_p10']:.1f}, "
                     f"Hamming {100 * mq['hamming_p10']:.1f}, base rate {100 * mq['base_rate']:.1f}")
    for k, v in report.get("targets", {}).items():
        lines.append(f"  {k}: {v:.3f}" if v is not None else f"  {k}: n/a")
    return "\n".join(lines)


def cmd_bits_table(args: argparse.Namespace) -> int:
    import numpy as np

    from ..common.atomic import atomic_write_text
    from ..learn.checkpoint import load_model
    from ..learn.datasets import load_dataset
    from ..learn.datasets.split import split_train_val
    from ..evaluate.evaluation import evaluate
    from ..learn.heads import pooled_features, train_heads
    from ..evaluate.plots import plot_bits
    from ..common.progress import TqdmProgress
    from ..learn.train import preload_images

    base = load_model(args.model)
    data = load_dataset(args.dataset, args.root)
    train_set, val_set = split_train_val(data)
    tr_img, ok = preload_images(train_set.paths, base.config.input_hw)
    train_set, tr_img = train_set.subset(ok), tr_img[ok]
    va_img, ok = preload_images(val_set.paths, base.config.input_hw)
    val_set, va_img = val_set.subset(ok), va_img[ok]
    feats = np.concatenate([pooled_features(base.net, tr_img), pooled_features(base.net, tr_img, flip=True)])
    rows = []
    out_dir = Path(args.out_dir)
    for nbits in [int(b) for b in args.bits.split(",")]:
        t0 = time.perf_counter()
        path = out_dir / f"{base.name}_heads{nbits}.pt"
        bar = TqdmProgress(f"heads {nbits}", unit="epoch")
        train_heads(base, nbits, train_set, tr_img, str(path), epochs=args.epochs, progress=bar, features=feats,
                    command=command_line())
        bar.close()
        rep = evaluate(load_model(path), val_set, va_img, baselines=True, n_attrs=(1, 4, 16))
        r = {"nbits": nbits, "bits_per_attr": rep["model"]["bits_per_attr"],
             "binary_mAP": rep["retrieval"]["binary_hamming"]["mAP"],
             "binary_rank1": rep["retrieval"]["binary_hamming"]["rank1"],
             "float_mAP": rep["retrieval"]["float_cosine"]["mAP"],
             "lsh_mAP": rep["retrieval"]["imagenet_lsh"]["mAP"],
             "attr_mA": rep["attributes"]["mA"],
             "decoder_reconstruction": rep.get("decoder_reconstruction", {}).get("overall"),
             "head_train_seconds": round(time.perf_counter() - t0, 1)}
        rows.append(r)
        print(json.dumps(r), flush=True)
    table = {"date": time.strftime("%Y-%m-%d"), "base_model": base.name, "base_hash": base.hash,
             "command": command_line(), "rows": rows}
    atomic_write_text(out_dir / "bits_table.json", json.dumps(table, indent=1))
    plot_bits(rows, out_dir / "map_vs_bits.png")
    return 0


def cmd_evaluate_describe(args: argparse.Namespace) -> int:
    """Exact-match and term precision/recall of ``describe`` on labelled descriptions."""
    from ..evaluate.descriptions import evaluate_descriptions, load_cases
    from ..model.schema import PETA

    if not Path(args.set).is_file():
        raise DeepSSHError(f"description set {args.set!r} not found (resources/eval/ in the source tree)")
    rep = evaluate_descriptions(load_cases(args.set), PETA)
    rep = {"set": Path(args.set).name, "command": command_line(), **rep}
    text = json.dumps(rep, indent=1)
    print(json.dumps({k: v for k, v in rep.items() if k != "misses"}))
    for m in rep["misses"]:
        print(f"miss {m['ref']}: missing {m['missing']} extra {m['extra']} unknown {m['unknown_words']}",
              file=sys.stderr)
    if args.out:
        from ..common.atomic import atomic_write_text

        atomic_write_text(args.out, text + "\n")
    return 0


def register(sub) -> None:
    from ..common.paths import DESCRIPTION_SET

    d = sub.add_parser("evaluate-describe", help="how well plain descriptions are read (labelled description set)")
    d.add_argument("--set", default=str(DESCRIPTION_SET), help="TSV: ref, description, expected query")
    d.add_argument("--out", help="JSON report with every miss")
    d.set_defaults(func=cmd_evaluate_describe)

    v = sub.add_parser("evaluate", help="retrieval, attribute and semantic-query evaluation with baselines")
    v.add_argument("--model", default=str(default_model_path()))
    v.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc", "cuhk03", "cuhk01"])
    v.add_argument("--root", required=True)
    v.add_argument("--subsets")
    v.add_argument("--split", default="val", choices=["val", "train", "all"],
                   help="which part of the identity split to evaluate (default: val; 'all' for held-out data)")
    v.add_argument("--no-baselines", action="store_true")
    v.add_argument("--out", required=True, help="report.json")
    v.add_argument("--plots", help="folder for PNG plots")
    add_engine_arg(v)
    v.set_defaults(func=cmd_evaluate)

    bt = sub.add_parser("bits-table", help="train heads of several code lengths on a model's backbone and evaluate")
    bt.add_argument("--model", default=str(default_model_path()))
    bt.add_argument("--dataset", default="peta", choices=["peta"])
    bt.add_argument("--root", required=True)
    bt.add_argument("--bits", default="128,256,512,1024,2048")
    bt.add_argument("--epochs", type=int, default=30)
    bt.add_argument("--out-dir", required=True)
    bt.set_defaults(func=cmd_bits_table)
