"""``deepssh train``, ``fit-decoder`` and ``export-onnx``: the learning commands (torch)."""

from __future__ import annotations

import argparse
import json
import sys

from ..common.errors import DeepSSHError
from .args import labelled_data, command_line, hw_arg


def _pk(text: str) -> tuple[int, int]:
    try:
        p, k = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected PxK such as 12x4, got {text!r}") from None
    if p < 1 or k < 2:
        raise argparse.ArgumentTypeError("P must be >= 1 and K >= 2")
    return p, k


def _blocks(text: str | None) -> tuple[int, ...]:
    """``"3,6,10"`` -> ``(3, 6, 10)``; None or empty -> ``()``."""
    try:
        return tuple(int(x) for x in text.split(",") if x.strip()) if text else ()
    except ValueError:
        raise DeepSSHError(f"expected comma-separated backbone block indices such as 2,4, got {text!r}") from None


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            flags = next((line for line in f if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def resolve_precision(choice: str, device: str) -> str:
    """``auto`` -> ``bf16`` on CUDA or a CPU with native bfloat16, else ``fp32``."""
    if choice == "bf16" and device == "cpu" and not cpu_has_bf16():
        # measured on an AVX2-only AMD EPYC (2026-12-02): 9-11 s a step against fp32's 1.4 s
        print("warning: this CPU has no native bfloat16 (avx512_bf16 / amx_bf16): bf16 is emulated and "
              "several times slower than fp32; --precision auto picks fp32 here", file=sys.stderr, flush=True)
    if choice != "auto":
        return choice
    return "bf16" if device.startswith("cuda") or cpu_has_bf16() else "fp32"


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


def cmd_train(args: argparse.Namespace) -> int:
    from ..learn.datasets.split import split_train_val
    from ..common.progress import TqdmProgress
    from ..evaluate.validation import validate
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
                      max_steps_per_epoch=args.max_steps, device=args.device, val_every=args.val_every, freeze_blocks=args.freeze_blocks,
                      ibn_after=_blocks(args.ibn_after),
                      color_jitter=args.color_jitter, pk=args.pk or (0, 0), w_triplet=args.w_triplet,
                      w_sim=args.w_sim, w_attr_consist=args.w_attr_consist, stripes=args.stripes,
                      mixstyle_after=_blocks(args.mixstyle_after), extra_labelled=args.extra_labelled,
                      precision=resolve_precision(args.precision, args.device), channels_last=not args.no_channels_last,
                      command=command_line())
    bar = TqdmProgress("train", unit="step")
    try:
        res = train(cfg, train_set, val_set, resume=not args.restart, progress=bar, validator=validate,
                    print_fn=lambda s: (bar.close(), print(s, flush=True)))
    finally:
        bar.close()
    return 130 if res.interrupted else 0


def cmd_fit_decoder(args: argparse.Namespace) -> int:
    from ..learn.checkpoint import load_model, resave
    from ..learn.datasets.split import split_train_val
    from ..common.progress import TqdmProgress
    from ..learn.train import fit_decoder, preload_images

    model = load_model(args.model)
    data = labelled_data(args, model)
    train_set, _ = split_train_val(data, args.val_fraction)
    bar = TqdmProgress("decode images")
    images, ok = preload_images(train_set.paths, model.config.input_hw, bar)
    bar.close()
    dec, summary = fit_decoder(model.net, images[ok], train_set.labels[ok])
    resave(model, meta=dict(model.meta, decoder=summary), decoder=dec)  # the decoder is not part of the hash
    print(json.dumps(summary))
    return 0


def register(sub) -> None:
    register_export_onnx(sub)
    register_calibrate(sub)
    register_fit_thresholds(sub)
    register_bench_train(sub)
    t = sub.add_parser("train", help="train a DeepSSH hashing model")
    t.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc"])
    t.add_argument("--root", required=True, help="dataset root folder")
    t.add_argument("--subsets", help="comma-separated PETA subsets (default: all present)")
    t.add_argument("--exclude-subsets", help="comma-separated subsets left out (leave-domain-out training)")
    t.add_argument("--extra", action="append", metavar="NAME=ROOT",
                   help="another source with the same schema or identities only, e.g. cuhk03=DIR or cuhk01=DIR (repeatable)")
    t.add_argument("--ibn-after", help="backbone block indices followed by half instance norm, e.g. 3,6,10")
    t.add_argument("--color-jitter", type=float, default=0.0, help="brightness/contrast/saturation jitter, e.g. 0.3")
    t.add_argument("--pk", type=_pk, help="identity-balanced batches of P identities x K images, e.g. 12x4")
    t.add_argument("--w-triplet", type=float, default=0.0, help="weight of the batch-hard triplet loss (needs --pk)")
    t.add_argument("--w-sim", type=float, default=0.0,
                   help="weight of the loss that makes code affinities follow the float feature's cosines")
    t.add_argument("--w-attr-consist", type=float, default=0.0,
                   help="weight of the loss that keeps one identity's attribute predictions equal across its crops "
                        "and cameras (needs --pk)")
    t.add_argument("--stripes", type=int, default=0,
                   help="region pooling: also pool this many horizontal stripes for the heads (0 = global only; 2 = "
                        "upper and lower body)")
    t.add_argument("--mixstyle-after", help="backbone blocks followed by MixStyle while training, e.g. 2,4")
    t.add_argument("--extra-labelled", action="store_true",
                   help="fill the non-P x K part of each batch with attribute-labelled crops only")
    t.add_argument("--precision", default="auto", choices=["auto", "bf16", "fp32"],
                   help="bf16 autocast for the backbone (auto: where the CPU or GPU computes bf16 natively)")
    t.add_argument("--no-channels-last", action="store_true", help="keep the plain NCHW memory layout")
    t.add_argument("--freeze-blocks", type=int, default=4, help="leading backbone blocks kept at ImageNet weights")
    t.add_argument("--bits", type=int, default=256, help="code length, 128-2048, multiple of 8")
    t.add_argument("--bits-per-attr", type=int, default=None)
    t.add_argument("--backbone", default="mobilenet_v2", choices=["mobilenet_v2", "resnet50"])
    t.add_argument("--backbone-weights", help="torchvision state-dict file for the backbone")
    t.add_argument("--input-size", type=hw_arg, default=(128, 64), help="HxW, default 128x64")
    t.add_argument("--epochs", type=int, default=12)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = default)")
    t.add_argument("--val-fraction", type=float, default=0.2, help="identity fraction held out (0 = none)")
    t.add_argument("--max-steps", type=int, default=0, help="cap steps per epoch (smoke tests)")
    t.add_argument("--device", default="cpu", help="cpu, or cuda where a GPU is available")
    t.add_argument("--val-every", type=int, default=1, help="validate every N epochs (0 = never)")
    t.add_argument("--restart", action="store_true", help="ignore an existing training state and start afresh")
    t.add_argument("--out", required=True, help="model file to write, e.g. models/NAME.pt")
    t.set_defaults(func=cmd_train)

    d = sub.add_parser("fit-decoder", help="(re)fit a model's attribute decoder on its training split")
    d.add_argument("--model", required=True)
    d.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc"])
    d.add_argument("--root", required=True)
    d.add_argument("--subsets")
    d.add_argument("--val-fraction", type=float, default=0.2)
    d.set_defaults(func=cmd_fit_decoder)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the attribute calibration on the validation identities and store it in the model file."""
    from ..common.progress import TqdmProgress
    from ..learn.calibrate import calibrate
    from ..learn.checkpoint import load_model, resave
    from ..learn.datasets.split import split_train_val
    from ..learn.match_threshold import fit_photo_threshold
    from ..learn.train import preload_images

    model = load_model(args.model)
    data = labelled_data(args, model)
    _, val_set = split_train_val(data, args.val_fraction)
    if not len(val_set):
        raise DeepSSHError("no validation identities to calibrate on")
    bar = TqdmProgress("decode images")
    images, ok = preload_images(val_set.paths, model.config.input_hw, bar)
    bar.close()
    cal, summary = calibrate(model.net, val_set.subset(ok), images[ok])
    cut = fit_photo_threshold(model.net, val_set.subset(ok), images[ok])
    resave(model, calibration=cal, meta=dict(model.meta, calibration=dict(summary, command=command_line()),
                                             match_threshold=dict(cut, command=command_line())))
    print(json.dumps({**summary, "match_threshold": cut}))
    return 0


def cmd_export_onnx(args: argparse.Namespace) -> int:
    """Add the ONNX graph to older model files in place (atomic); report the hashes and the parity."""
    from ..learn.checkpoint import upgrade_with_onnx

    for path in args.model:
        old, new = upgrade_with_onnx(path)
        if old == new:
            print(f"{path}: already carries its ONNX graph (hash {new[:12]})")
        else:
            print(f"{path}: ONNX graph added; model hash {old[:12]} -> {new[:12]} "
                  f"(galleries built with {old[:12]} still open with it)")
    return 0


def register_calibrate(sub) -> None:
    c = sub.add_parser("calibrate", help="fit calibrated attribute probabilities on the validation identities")
    c.add_argument("--model", required=True, help="model file, updated in place (its hash does not change)")
    c.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc"])
    c.add_argument("--root", required=True)
    c.add_argument("--subsets")
    c.add_argument("--val-fraction", type=float, default=0.2)
    c.set_defaults(func=cmd_calibrate)


def register_export_onnx(sub) -> None:
    o = sub.add_parser("export-onnx", help="add the ONNX graph to model files written before DeepSSH stored one")
    o.add_argument("--model", nargs="+", required=True, help="model file(s) to upgrade in place")
    o.set_defaults(func=cmd_export_onnx)


def cmd_fit_thresholds(args: argparse.Namespace) -> int:
    """Write a copy of a model whose attribute bits decide at thresholds fitted on validation identities."""
    import os

    import numpy as np

    from ..common.progress import TqdmProgress
    from ..learn.calibrate import calibrate
    from ..learn.checkpoint import load_model, save_model, to_numpy_meta
    from ..learn.datasets.split import split_train_val
    from ..learn.encode import attribute_logits
    from ..learn.match_threshold import fit_photo_threshold
    from ..learn.thresholds import balanced_accuracy_thresholds, shift_attribute_bias
    from ..learn.train import fit_decoder, preload_images

    if os.path.abspath(args.out) == os.path.abspath(args.model):
        raise DeepSSHError("--out must name a new file: the thresholded model has other weights and another hash")
    model = load_model(args.model)
    data = labelled_data(args, model)
    train_set, val_set = split_train_val(data, args.val_fraction)
    if not len(val_set) or not (val_set.labels >= 0).any():
        raise DeepSSHError("no labelled validation identities to fit thresholds on")
    bar = TqdmProgress("decode images")
    val_images, vok = preload_images(val_set.paths, model.config.input_hw, bar)
    tr_images, tok = preload_images(train_set.paths, model.config.input_hw, bar)
    bar.close()
    val_set, val_images = val_set.subset(vok), val_images[vok]
    train_set, tr_images = train_set.subset(tok), tr_images[tok]
    t, before, after = balanced_accuracy_thresholds(attribute_logits(model.net, val_images), val_set.labels)
    shift_attribute_bias(model.net, t)
    decoder, dec_summary = fit_decoder(model.net, tr_images, train_set.labels)
    cal, cal_summary = calibrate(model.net, val_set, val_images)
    cut = fit_photo_threshold(model.net, val_set, val_images)
    summary = {"fitted_on": int(len(val_set)), "mean_abs_threshold": round(float(np.abs(t).mean()), 4),
               "val_mA_at_0": round(float(np.nanmean(before)), 4), "val_mA_fitted": round(float(np.nanmean(after)), 4),
               "thresholds": {n: round(float(x), 3) for n, x in zip(model.schema.names, t)}}
    meta = dict(model.meta, decoder=dec_summary, calibration=dict(cal_summary, command=command_line()),
                thresholds=dict(summary, base_model=model.hash, command=command_line()), match_threshold=cut)
    meta.pop("previous_hashes", None)  # other weights: galleries of the base model must not open with it
    h = save_model(args.out, model.net, model.schema, to_numpy_meta(meta), decoder, calibration=cal)
    print(json.dumps({k: v for k, v in summary.items() if k != "thresholds"} | {"out": args.out, "hash": h}))
    return 0


def register_fit_thresholds(sub) -> None:
    f = sub.add_parser("fit-thresholds", help="per-attribute decision thresholds fitted on validation identities "
                                              "(writes a new model)")
    f.add_argument("--model", required=True)
    f.add_argument("--dataset", default="peta", choices=["peta", "market1501", "dukemtmc"])
    f.add_argument("--root", required=True)
    f.add_argument("--subsets")
    f.add_argument("--val-fraction", type=float, default=0.2)
    f.add_argument("--out", required=True, help="the new model file")
    f.set_defaults(func=cmd_fit_thresholds)


def cmd_bench_train(args: argparse.Namespace) -> int:
    import os

    from ..common.progress import TqdmProgress
    from ..learn.speed import bench_train

    bar = TqdmProgress("bench-train", unit="run")
    try:
        res = bench_train(args.input_size, args.batch_size, args.steps, args.repeats, args.threads,
                          tuple(s.strip() for s in args.settings.split(",")), progress=bar)
    except ValueError as exc:
        raise DeepSSHError(str(exc)) from None
    finally:
        bar.close()
    res["load_1min"] = round(os.getloadavg()[0], 2)  # shows whether other work held the cores
    text = json.dumps(res, indent=2)
    print(text)
    if args.out:
        from ..common.atomic import atomic_write_text

        atomic_write_text(args.out, text + "\n")
    return 0


def register_bench_train(sub) -> None:
    b = sub.add_parser("bench-train", help="training epoch speed: fp32 against bf16 and channels-last, same run")
    b.add_argument("--input-size", type=hw_arg, default=(192, 96))
    b.add_argument("--batch-size", type=int, default=64)
    b.add_argument("--steps", type=int, default=12, help="steps per timed epoch")
    b.add_argument("--repeats", type=int, default=2, help="rounds, alternating the order; each setting keeps its best")
    b.add_argument("--threads", type=int, default=0)
    b.add_argument("--settings", default="fp32,fp32+channels_last,bf16,bf16+channels_last",
                   help="comma-separated; also fp32+fill: fp32 as trained before 2026-12-07 (torch filled new tensors)")
    b.add_argument("--out", help="also write the JSON here")
    b.set_defaults(func=cmd_bench_train)
