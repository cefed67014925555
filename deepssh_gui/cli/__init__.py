"""``deepssh`` command line. Heavy imports happen inside each command, so ``--help`` is instant."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from .. import __version__
from ..common.errors import DeepSSHError

from ..common.paths import default_model_path


def _hw(text: str) -> tuple[int, int]:
    try:
        h, w = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 128x64, got {text!r}") from None
    if h % 32 or w % 32:
        raise argparse.ArgumentTypeError("input height and width must be multiples of 32")
    return h, w


def _training_data(args: argparse.Namespace):
    """The main dataset less ``--exclude-subsets``, plus every ``--extra NAME=ROOT`` (identity-only sources)."""
    import numpy as np

    from ..learn.datasets import concat_sets, load_dataset

    data = load_dataset(args.dataset, args.root, args.subsets.split(",") if args.subsets else None)
    if args.exclude_subsets:
        gone = {s.strip() for s in args.exclude_subsets.split(",") if s.strip()}
        present = {s.subset for s in data.samples}
        if gone - present:
            raise DeepSSHError(f"--exclude-subsets names {sorted(gone - present)}, which the data does not have "
                               f"(present: {', '.join(sorted(present))})")
        data = data.subset(np.array([s.subset not in gone for s in data.samples], dtype=bool))
    parts = [data]
    for spec in args.extra or []:
        name, sep, root = spec.partition("=")
        if not sep or not root:
            raise DeepSSHError(f"--extra expects NAME=ROOT (e.g. cuhk03=data/cuhk03/train), got {spec!r}")
        extra = load_dataset(name, root)
        if extra.schema.names != data.schema.names:
            raise DeepSSHError(f"--extra {name}: its attribute schema differs from {args.dataset}'s")
        parts.append(extra)
    return concat_sets(parts) if len(parts) > 1 else data


def _pk(text: str) -> tuple[int, int]:
    try:
        p, k = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected PxK such as 12x4, got {text!r}") from None
    if p < 1 or k < 2:
        raise argparse.ArgumentTypeError("P must be >= 1 and K >= 2")
    return p, k


def cmd_train(args: argparse.Namespace) -> int:
    from ..learn.datasets.split import split_train_val
    from ..common.progress import TqdmProgress
    from ..learn.train import TrainConfig, train

    data = _training_data(args)
    for note in data.notes:
        print(note, file=sys.stderr)
    train_set, val_set = split_train_val(data, args.val_fraction)
    if args.val_fraction == 0:
        val_set = None
    cfg = TrainConfig(out=args.out, nbits=args.bits, bits_per_attr=args.bits_per_attr, backbone=args.backbone,
                      backbone_weights=args.backbone_weights, input_hw=args.input_size, epochs=args.epochs,
                      batch_size=args.batch_size, lr=args.lr, seed=args.seed, threads=args.threads,
                      max_steps_per_epoch=args.max_steps, val_every=args.val_every, freeze_blocks=args.freeze_blocks,
                      ibn_after=tuple(int(x) for x in args.ibn_after.split(",")) if args.ibn_after else (),
                      color_jitter=args.color_jitter, pk=args.pk or (0, 0), w_triplet=args.w_triplet,
                      command="deepssh " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
    bar = TqdmProgress("train", unit="step")
    try:
        res = train(cfg, train_set, val_set, resume=not args.restart, progress=bar,
                    print_fn=lambda s: (bar.close(), print(s, flush=True)))
    finally:
        bar.close()
    return 130 if res.interrupted else 0


def cmd_encode(args: argparse.Namespace) -> int:
    from ..learn.checkpoint import load_model
    from ..learn.datasets import load_folder
    from ..learn.encode import encode_paths, save_npz
    from ..common.progress import TqdmProgress

    model = load_model(args.model)
    paths = load_folder(args.images)
    if not paths:
        raise DeepSSHError(f"no images found in {args.images!r}")
    bar = TqdmProgress("encode")
    try:
        enc = encode_paths(model, paths, batch_size=args.batch_size, progress=bar)
    finally:
        bar.close()
    save_npz(args.out, enc, model.schema.names)
    print(f"encoded {len(enc.paths)} of {len(paths)} images into {args.out} "
          f"({model.config.nbits}-bit codes, model {model.hash[:12]})")
    if enc.failed:
        print(f"skipped {len(enc.failed)} unreadable files:", file=sys.stderr)
        for p, why in enc.failed:
            print(f"  {p}: {why}", file=sys.stderr)
    return 0 if enc.paths else 1


def cmd_fit_decoder(args: argparse.Namespace) -> int:
    from ..learn.checkpoint import load_model, save_model
    from ..learn.datasets.split import split_train_val
    from ..common.progress import TqdmProgress
    from ..learn.train import fit_decoder, preload_images

    model = load_model(args.model)
    data = _labelled_data(args, model)
    train_set, _ = split_train_val(data, args.val_fraction)
    bar = TqdmProgress("decode images")
    images, ok = preload_images(train_set.paths, model.config.input_hw, bar)
    bar.close()
    dec, summary = fit_decoder(model.net, images[ok], train_set.labels[ok])
    meta = dict(model.meta, decoder=summary)
    h = save_model(args.model, model.net, model.schema, meta, dec)
    assert h == model.hash  # the decoder is not part of the model hash
    print(json.dumps(summary))
    return 0


def cmd_bench_encode(args: argparse.Namespace) -> int:
    import resource
    import subprocess

    import numpy as np
    import torch

    from ..learn.checkpoint import load_model
    from ..learn.datasets import load_folder
    from ..learn.encode import encode_arrays, encode_paths

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import deepssh_gui.core"], check=True)
    import_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare_s = time.perf_counter() - t0
    model = load_model(args.model)
    paths = load_folder(args.images)
    if args.limit:
        paths = paths[: args.limit]
    if not paths:
        raise DeepSSHError(f"no images in {args.images!r}")
    encode_paths(model, paths[: min(64, len(paths))])  # warm-up
    t0 = time.perf_counter()
    enc = encode_paths(model, paths, batch_size=args.batch_size)
    dt = time.perf_counter() - t0
    # Baseline in the same run: the network alone on pre-decoded tensors (no file I/O).
    h, w = model.config.input_hw
    fake = np.random.default_rng(0).integers(0, 255, (len(enc.paths), h, w, 3), dtype=np.uint8)
    t0 = time.perf_counter()
    encode_arrays(model.net, fake, batch_size=args.batch_size)
    net_dt = time.perf_counter() - t0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "images": len(paths), "encoded": len(enc.paths), "failed": len(enc.failed),
        "torch_threads": torch.get_num_threads(),
        "crops_per_s": round(len(enc.paths) / dt, 1),
        "network_only_crops_per_s": round(len(enc.paths) / net_dt, 1),
        "ratio_to_network_only": round(net_dt / dt, 3),
        "peak_rss_mb": round(rss_mb, 1),
        "import_core_s": round(import_s - bare_s, 3),
        "import_core_s_including_interpreter": round(import_s, 3),
    }
    print(json.dumps(out, indent=2))
    return 0


def _labelled_data(args, model):
    """The dataset named by ``--dataset/--root/--subsets``, refused if its labels are not the model's schema."""
    from ..learn.datasets import load_dataset

    data = load_dataset(args.dataset, args.root, args.subsets.split(",") if args.subsets else None)
    if data.schema.names != model.schema.names:
        raise DeepSSHError(f"{model.name} was trained with the {model.schema.name} schema; "
                           f"the {args.dataset} labels do not match it")
    return data


def _eval_set(args, model):
    """The labelled evaluation set and its decoded images, aligned."""
    from ..learn.datasets.split import split_train_val
    from ..common.progress import TqdmProgress
    from ..learn.train import preload_images

    data = _labelled_data(args, model)
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
    from ..learn.checkpoint import load_model
    from ..evaluate.evaluation import evaluate
    from ..evaluate.plots import plot_cmc, plot_semantic
    from ..common.progress import TqdmProgress

    model = load_model(args.model)
    data, images = _eval_set(args, model)
    t0 = time.perf_counter()
    bar = TqdmProgress("evaluate", unit="step")
    report = evaluate(model, data, images, baselines=not args.no_baselines, progress=bar)
    bar.close()
    report.update({"dataset": args.dataset, "split": args.split, "subsets": args.subsets or "all",
                   "seconds": round(time.perf_counter() - t0, 1),
                   "date": time.strftime("%Y-%m-%d"), "command": "deepssh " + " ".join(shlex.quote(a) for a in sys.argv[1:])})
    atomic_write_text(args.out, json.dumps(report, indent=1, default=float))
    if args.plots:
        Path(args.plots).mkdir(parents=True, exist_ok=True)
        plot_cmc(report, Path(args.plots) / "cmc.png")
        plot_semantic(report, Path(args.plots) / "semantic_rank.png")
    print(_summary(report))
    return 0


def _summary(report: dict) -> str:
    lines = [f"{report['model']['name']} ({report['model']['nbits']} bits) on {report['n_images']} images, "
             f"{report['n_identities']} identities"]
    for key, r in report["retrieval"].items():
        lines.append(f"  {key:<15} mAP {100 * r['mAP']:5.1f}  rank-1 {100 * r['rank1']:5.1f}  "
                     f"rank-5 {100 * r['rank5']:5.1f}  ({r['n_queries']} queries)")
    lines.append(f"  attribute mA from code bits: {100 * report['attributes']['mA']:.1f}")
    if "decoder_reconstruction" in report:
        lines.append(f"  decoder reconstruction accuracy: {100 * report['decoder_reconstruction']['overall']:.1f}")
        sem = report["semantic_queries"]
        lines.append("  semantic rank-5 by #attributes: " + ", ".join(
            f"{n}:{100 * v:.1f}" for n, v in zip(sem["n_attributes"], sem["rank5"])))
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
                    command="deepssh " + " ".join(shlex.quote(a) for a in sys.argv[1:]))
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
             "command": "deepssh " + " ".join(shlex.quote(a) for a in sys.argv[1:]), "rows": rows}
    atomic_write_text(out_dir / "bits_table.json", json.dumps(table, indent=1))
    plot_bits(rows, out_dir / "map_vs_bits.png")
    return 0


def _parse_time(text: str | None) -> float | None:
    """Seconds: a number, or an ISO date-time (converted to a Unix timestamp)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise DeepSSHError(f"cannot read time {text!r}: give seconds or an ISO date-time") from None


def cmd_gallery_build(args: argparse.Namespace) -> int:
    from ..learn.checkpoint import load_model
    from ..search.gallery import Gallery
    from ..ingest.build import build_from_images, build_from_video
    from ..common.progress import TqdmProgress

    if bool(args.images) == bool(args.video):
        raise DeepSSHError("give exactly one of --images DIR or --video FILE")
    model = load_model(args.model)
    bar = TqdmProgress("gallery", unit="frame" if args.video else "img")
    with Gallery.create(args.out, model) as g:
        before = len(g)
        try:
            if args.images:
                rep = build_from_images(g, model, args.images, progress=bar)
            else:
                rep = build_from_video(g, model, args.video, camera=args.camera, detector=args.detector,
                                       tracker=args.tracker, best_per_track=args.best_per_track,
                                       start_time=_parse_time(args.start_time) or 0.0, progress=bar)
        except KeyboardInterrupt:
            bar.close()
            print(f"cancelled: the gallery keeps {len(g)} items; run the same command to resume", file=sys.stderr)
            return 130
        bar.close()
        total = len(g)
    print(f"gallery {args.out}: {total} items ({total - before} added, {rep.skipped_done} sources already done) "
          f"in {rep.seconds:.1f} s")
    if rep.video is not None:
        v = rep.video
        dur = v.frames_read / v.fps if v.fps else 0
        speed = dur / rep.seconds if rep.seconds else 0
        print(f"video: {v.frames_read} frames ({dur:.1f} s of footage at {v.fps:g} fps) -> {v.tracks} tracks, "
              f"{v.crops} crops; ingest took {rep.seconds:.1f} s = {speed:.1f}x real time")
        for n in v.notes:
            print(f"warning: {n}", file=sys.stderr)
    if rep.failed:
        print(f"skipped {len(rep.failed)} unreadable files:", file=sys.stderr)
        for p, why in rep.failed:
            print(f"  {p}: {why}", file=sys.stderr)
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from ..search.engine import SearchEngine, SearchRequest

    if not (args.image or args.attributes or args.negate):
        raise DeepSSHError("give --image, --attributes (and/or --not), or both")
    eng = SearchEngine(args.gallery, args.model)
    try:
        res = eng.search(SearchRequest(attributes=args.attributes or "", negated=args.negate or "",
                                       probe_image=args.image, camera=args.camera, t_from=_parse_time(args.t_from),
                                       t_to=_parse_time(args.t_to), top=args.top, alpha=args.alpha, origin="cli"))
    finally:
        eng.close()
    for note in res.notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(result_to_json(res), indent=1))
        return 0
    print(f"{res.mode} search over {res.n_searched} items in {1000 * res.seconds:.1f} ms"
          + (f"; query: {res.query.text}" if res.query else ""))
    for rh in res.hits:
        h, m = rh.hit, rh.meta
        chips = " ".join(("✓" if t.matched else "✗" if t.matched is False else "?") + t.term for t in h.explanation)
        where = f"{Path(m.source).name} frame {m.frame} t={m.timestamp:.1f}s" if m.frame is not None else Path(m.crop).name
        d = " ".join(x for x in (f"photo={h.photo_distance}" if h.photo_distance is not None else "",
                                 f"attr={h.attribute_distance}" if h.attribute_distance is not None else "") if x)
        print(f"#{h.rank:<3} id {h.index:<6} {d:<20} cam {m.camera or '-':<10} {where}  {chips}")
    return 0


def result_to_json(res) -> dict:
    return {
        "mode": res.mode, "query": res.query.text, "probe_sha256": res.probe_sha256,
        "seconds": res.seconds, "n_searched": res.n_searched, "masked_bits": res.masked_bits,
        "audit_id": res.audit_id,
        "hits": [{
            "rank": rh.hit.rank, "id": rh.hit.index, "score": rh.hit.score,
            "photo_distance": rh.hit.photo_distance, "attribute_distance": rh.hit.attribute_distance,
            "explanation": [{"term": t.term, "matched": t.matched, "distance": t.distance, "bits": t.bits}
                            for t in rh.hit.explanation],
            "crop": rh.meta.crop, "thumb": rh.meta.thumb, "source": rh.meta.source,
            "source_sha256": rh.meta.source_sha256, "camera": rh.meta.camera, "frame": rh.meta.frame,
            "timestamp": rh.meta.timestamp, "bbox": rh.meta.bbox, "track": rh.meta.track,
            "identity": rh.meta.identity,
        } for rh in res.hits],
    }


def cmd_bench(args: argparse.Namespace) -> int:
    from ..evaluate.bench import run_bench
    from ..common.progress import TqdmProgress

    bar = TqdmProgress("bench", unit="step")
    res = run_bench(args.n, args.bits, args.queries, progress=bar, with_ivf=args.ivf)
    bar.close()
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        for k, v in res["latency"].items():
            print(f"{k:<22} p50 {v['p50_ms']:8.3f} ms   p95 {v['p95_ms']:8.3f} ms")
        for k, v in res.items():
            if k != "latency":
                print(f"{k}: {v}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Search, then export the chosen hits as an HTML and a PDF evidence report."""
    from ..ui.export import cli_export  # Qt lives in ui/; it starts an offscreen QGuiApplication

    html_path, pdf_path, n = cli_export(args)
    print(f"exported {n} hits to {html_path} and {pdf_path}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    import csv
    import io

    from ..common.atomic import atomic_write_text
    from ..search.gallery import Gallery

    with Gallery.open(args.gallery, read_only=True) as g:
        rows = g.audit_entries()
    buf = io.StringIO()
    cols = ["id", "time", "origin", "mode", "query", "probe_sha256", "filters", "model_hash", "gallery_state",
            "result_ids"]
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(rows)
    if args.out:
        atomic_write_text(args.out, buf.getvalue())
        print(f"{len(rows)} audit entries written to {args.out}")
    else:
        sys.stdout.write(buf.getvalue())
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(args.model, args.images, args.attributes, args.probe, args.top)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="deepssh", description="DeepSSH forensic person search")
    ap.add_argument("--version", action="version", version=f"deepssh {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train a DeepSSH hashing model")
    t.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc"])
    t.add_argument("--root", required=True, help="dataset root folder")
    t.add_argument("--subsets", help="comma-separated PETA subsets (default: all present)")
    t.add_argument("--exclude-subsets", help="comma-separated subsets left out (leave-domain-out training)")
    t.add_argument("--extra", action="append", metavar="NAME=ROOT",
                   help="another source with the same schema or identities only, e.g. cuhk03=DIR (repeatable)")
    t.add_argument("--ibn-after", help="backbone block indices followed by half instance norm, e.g. 3,6,10")
    t.add_argument("--color-jitter", type=float, default=0.0, help="brightness/contrast/saturation jitter, e.g. 0.3")
    t.add_argument("--pk", type=_pk, help="identity-balanced batches of P identities x K images, e.g. 12x4")
    t.add_argument("--w-triplet", type=float, default=0.0, help="weight of the batch-hard triplet loss (needs --pk)")
    t.add_argument("--freeze-blocks", type=int, default=4, help="leading backbone blocks kept at ImageNet weights")
    t.add_argument("--bits", type=int, default=256, help="code length, 128-2048, multiple of 8")
    t.add_argument("--bits-per-attr", type=int, default=None)
    t.add_argument("--backbone", default="mobilenet_v2", choices=["mobilenet_v2", "resnet50"])
    t.add_argument("--backbone-weights", help="torchvision state-dict file for the backbone")
    t.add_argument("--input-size", type=_hw, default=(128, 64), help="HxW, default 128x64")
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    t.add_argument("--val-fraction", type=float, default=0.2, help="identity fraction held out (0 = none)")
    t.add_argument("--max-steps", type=int, default=0, help="cap steps per epoch (smoke tests)")
    t.add_argument("--val-every", type=int, default=1, help="validate every N epochs (0 = never)")
    t.add_argument("--restart", action="store_true", help="ignore an existing training state and start afresh")
    t.add_argument("--out", required=True, help="model file to write, e.g. models/NAME.pt")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("encode", help="encode a folder or file list of crops to codes.npz")
    e.add_argument("--model", default=str(default_model_path()))
    e.add_argument("--images", required=True, help="folder (recursive) or text file with one path per line")
    e.add_argument("--out", required=True, help="output .npz")
    e.add_argument("--batch-size", type=int, default=64)
    e.set_defaults(func=cmd_encode)

    d = sub.add_parser("fit-decoder", help="(re)fit a model's attribute decoder on its training split")
    d.add_argument("--model", required=True)
    d.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc"])
    d.add_argument("--root", required=True)
    d.add_argument("--subsets")
    d.add_argument("--val-fraction", type=float, default=0.2)
    d.set_defaults(func=cmd_fit_decoder)

    v = sub.add_parser("evaluate", help="retrieval, attribute and semantic-query evaluation with baselines")
    v.add_argument("--model", default=str(default_model_path()))
    v.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc", "cuhk03"])
    v.add_argument("--root", required=True)
    v.add_argument("--subsets")
    v.add_argument("--split", default="val", choices=["val", "train", "all"],
                   help="which part of the identity split to evaluate (default: val; 'all' for held-out data)")
    v.add_argument("--no-baselines", action="store_true")
    v.add_argument("--out", required=True, help="report.json")
    v.add_argument("--plots", help="folder for PNG plots")
    v.set_defaults(func=cmd_evaluate)

    bt = sub.add_parser("bits-table", help="train heads of several code lengths on a model's backbone and evaluate")
    bt.add_argument("--model", default=str(default_model_path()))
    bt.add_argument("--dataset", default="peta", choices=["peta"])
    bt.add_argument("--root", required=True)
    bt.add_argument("--bits", default="128,256,512,1024,2048")
    bt.add_argument("--epochs", type=int, default=30)
    bt.add_argument("--out-dir", required=True)
    bt.set_defaults(func=cmd_bits_table)

    ga = sub.add_parser("gallery", help="build galleries").add_subparsers(dest="gallery_cmd", required=True)
    gb = ga.add_parser("build", help="build or extend a gallery from a folder of crops or a video")
    gb.add_argument("--model", default=str(default_model_path()))
    gb.add_argument("--images", help="folder of crops (recursive)")
    gb.add_argument("--video", help="video file")
    gb.add_argument("--camera", help="camera name for video items (default: the file name)")
    gb.add_argument("--detector", default="mog2", help="mog2 (fixed camera), hog, or a path to an .onnx detector")
    gb.add_argument("--tracker", default="deepsort", choices=["deepsort", "iou"])
    gb.add_argument("--best-per-track", type=int, default=3)
    gb.add_argument("--start-time", help="wall-clock time of the first frame (seconds or ISO date-time)")
    gb.add_argument("--out", required=True, help="gallery directory (created, or extended and resumed)")
    gb.set_defaults(func=cmd_gallery_build)

    se = sub.add_parser("search", help="search a gallery by photo, attributes, or both")
    se.add_argument("--gallery", required=True)
    se.add_argument("--model", default=str(default_model_path()))
    se.add_argument("--image", help="probe photo")
    se.add_argument("--attributes", help='query language, e.g. "carryingBackpack,lowerBody:dark"')
    se.add_argument("--not", dest="negate", help="comma-separated attributes that must be absent")
    se.add_argument("--camera")
    se.add_argument("--from", dest="t_from")
    se.add_argument("--to", dest="t_to")
    se.add_argument("--top", type=int, default=20)
    se.add_argument("--alpha", type=float, default=0.5, help="hybrid weight of the attribute part")
    se.add_argument("--json", action="store_true")
    se.set_defaults(func=cmd_search)

    ex = sub.add_parser("export", help="search and export hits as an HTML + PDF evidence report")
    ex.add_argument("--gallery", required=True)
    ex.add_argument("--model", default=str(default_model_path()))
    ex.add_argument("--image")
    ex.add_argument("--attributes")
    ex.add_argument("--not", dest="negate")
    ex.add_argument("--top", type=int, default=10)
    ex.add_argument("--ranks", help="comma-separated ranks to include (default: all shown)")
    ex.add_argument("--notes", help="free-text note printed in the report")
    ex.add_argument("--out", required=True, help="report path; .html and .pdf are written")
    ex.set_defaults(func=cmd_export)

    au = sub.add_parser("audit", help="export a gallery's audit log of searches as CSV")
    au.add_argument("--gallery", required=True)
    au.add_argument("--out", help="CSV file (default: standard output)")
    au.set_defaults(func=cmd_audit)

    bn = sub.add_parser("bench", help="search latency, index build/load time and memory on synthetic codes")
    bn.add_argument("--n", type=int, default=1_000_000)
    bn.add_argument("--bits", type=int, default=256)
    bn.add_argument("--queries", type=int, default=50)
    bn.add_argument("--ivf", action="store_true", help="also build an IVF index and report its recall vs flat")
    bn.add_argument("--json", action="store_true")
    bn.set_defaults(func=cmd_bench)

    from .demo import DEMO_CROPS

    m = sub.add_parser("demo", help="encode the bundled demo crops and run example searches")
    m.add_argument("--model", default=str(default_model_path()))
    m.add_argument("--images", default=str(DEMO_CROPS))
    m.add_argument("--attributes", default="lowerBody:dark, upperBody:dark")
    m.add_argument("--probe", help="one of the images to use as the photo query")
    m.add_argument("--top", type=int, default=5)
    m.set_defaults(func=cmd_demo)

    b = sub.add_parser("bench-encode", help="measure encoding speed, peak memory and core import time")
    b.add_argument("--model", default=str(default_model_path()))
    b.add_argument("--images", required=True)
    b.add_argument("--limit", type=int, default=0)
    b.add_argument("--batch-size", type=int, default=64)
    b.set_defaults(func=cmd_bench_encode)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench-gui"]:  # Qt benchmark: kept out of the parser so the CLI never imports Qt
        from ..ui.bench import main as bench_gui

        return bench_gui(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DeepSSHError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
