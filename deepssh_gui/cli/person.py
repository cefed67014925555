"""``deepssh fit-person``: fit the person filter of a model file (model/person.py)."""

from __future__ import annotations

import argparse
import json

from ..common.errors import DeepSSHError
from .args import command_line


def _frame_range(text: str | None) -> tuple[int, int] | None:
    if not text:
        return None
    try:
        a, b = (int(x) for x in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected FIRST-LAST frame numbers, e.g. 0-400, got {text!r}") from None
    if not 0 <= a < b:
        raise argparse.ArgumentTypeError(f"the frame range {text!r} is empty")
    return a, b


def cmd_fit_person(args: argparse.Namespace) -> int:
    import os

    import numpy as np

    from ..common.progress import TqdmProgress
    from ..learn.checkpoint import load_model, resave, save_model, to_numpy_meta
    from ..learn.datasets import load_dataset
    from ..learn.person import fit_person_filter, fragments, frame_patches
    from ..learn.train import preload_images
    from ..model.modelfile import load_model_file
    from ..model.person import META_KEY

    if not args.video:
        raise DeepSSHError("give at least one --video: background patches of real footage are the filter's "
                           "main negatives")
    runtime = load_model_file(args.model)  # features as ingest computes them (ONNX)
    hw = runtime.config.input_hw
    rng = np.random.default_rng(args.seed)
    paths: list[str] = []
    for spec in [f"peta={args.root}"] + list(args.extra or []):
        name, _, root = spec.partition("=")
        if not root:
            raise DeepSSHError(f"--extra expects NAME=ROOT, got {spec!r}")
        paths += list(load_dataset(name, root).paths)
    pick = rng.choice(len(paths), min(args.n_person, len(paths)), replace=False)
    bar = TqdmProgress("fit-person")
    try:
        people, ok = preload_images([paths[i] for i in sorted(pick)], hw, bar)
        people = people[ok]
        frags = fragments(people[rng.choice(len(people), min(args.n_fragments, len(people)), replace=False)], rng)
        per_video = max(1, args.n_patches // len(args.video))
        patches = np.concatenate([frame_patches(v, per_video, hw, rng, args.frames, progress=bar) for v in args.video])
    except (OSError, ValueError) as exc:
        raise DeepSSHError(f"could not gather the filter's examples: {exc}") from None
    finally:
        bar.close()
    images = np.concatenate([people, frags, patches])
    labels = np.concatenate([np.ones(len(people)), np.zeros(len(frags) + len(patches))]).astype(np.int8)
    kinds = np.array(["person"] * len(people) + ["fragment"] * len(frags) + ["frame patch"] * len(patches))
    feats = np.concatenate([runtime.encoder().encode(images[s:s + 256], with_features=True)[2]
                            for s in range(0, len(images), 256)])
    pf = fit_person_filter(feats, labels, kinds, recall=args.recall, seed=args.seed)
    report = dict(pf.report, videos=[os.path.basename(v) for v in args.video], frames=args.frames,
                  threshold=round(pf.threshold, 4), command=command_line())
    model = load_model(args.model)
    meta = to_numpy_meta(dict(model.meta, **{META_KEY: dict(pf.to_dict(), report=report)}))
    out = args.out or args.model
    if os.path.abspath(out) == os.path.abspath(args.model):
        h = resave(model, meta=meta)  # the weights, and so the hash, stay: galleries keep opening
    else:
        h = save_model(out, model.net, model.schema, meta, model.decoder, onnx=model.onnx,
                       calibration=model.calibration)
    print(json.dumps(dict(report, out=out, hash=h)))
    return 0


def register(sub) -> None:
    f = sub.add_parser("fit-person", help="fit the filter that keeps non-person crops (floor, wall, fragments) out "
                                          "of video galleries; stored in the model file, its hash unchanged")
    f.add_argument("--model", required=True)
    f.add_argument("--root", required=True, help="PETA root: person crops")
    f.add_argument("--extra", action="append", metavar="NAME=ROOT", help="more person crops, e.g. cuhk01=DIR")
    f.add_argument("--video", action="append", help="footage whose frames give background patches (repeatable)")
    f.add_argument("--frames", type=_frame_range, help="only these frames of each video, e.g. 0-400 (keep the "
                                                       "rest for measuring)")
    f.add_argument("--n-person", type=int, default=3000)
    f.add_argument("--n-fragments", type=int, default=1000)
    f.add_argument("--n-patches", type=int, default=2000)
    f.add_argument("--recall", type=float, default=0.98, help="share of held-out people the threshold keeps")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--out", help="write a copy here (default: the model file itself)")
    f.set_defaults(func=cmd_fit_person)
    register_evaluate(sub)


def cmd_evaluate_person(args: argparse.Namespace) -> int:
    import csv
    import os

    import numpy as np

    from ..common.errors import ImageError
    from ..common.imageio import read_rgb, resize_rgb
    from ..evaluate.person import person_report
    from ..model.modelfile import load_model_file
    from ..model.person import person_filter_of

    model = load_model_file(args.model)
    pf = person_filter_of(model)
    if pf is None:
        raise DeepSSHError(f"{model.name} has no person filter; fit one with deepssh fit-person")
    folder = os.path.dirname(os.path.abspath(args.labels))
    try:
        with open(args.labels, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        images = np.stack([resize_rgb(read_rgb(os.path.join(folder, os.path.basename(r["file"]))), model.config.input_hw)
                           for r in rows])
        is_person = np.array([r["label"] == "person" for r in rows])
        kinds = [r.get("kind", "") for r in rows]
    except (OSError, KeyError, ValueError, ImageError) as exc:
        raise DeepSSHError(f"cannot read the labelled crops {args.labels!r}: {exc}") from None
    feats = model.encoder().encode(images, with_features=True)[2]
    rep = person_report(pf.scores(feats), is_person, kinds, pf.threshold if args.threshold is None else args.threshold)
    rep = {"model": model.name, "labels": args.labels, **rep}
    print(json.dumps(rep, indent=2))
    return 0


def register_evaluate(sub) -> None:
    e = sub.add_parser("evaluate-person", help="precision / recall of the person filter on hand-labelled crops")
    e.add_argument("--model", required=True)
    e.add_argument("--labels", default="resources/eval/person_crops/labels.csv",
                   help="CSV with file,label (person or junk),kind; files beside it")
    e.add_argument("--threshold", type=float, help="another threshold than the model's")
    e.set_defaults(func=cmd_evaluate_person)
