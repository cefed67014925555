"""``deepssh evaluate-ingest``: person detection against hand-labelled boxes (evaluate/ingest.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ..common.errors import DeepSSHError


def cmd_evaluate_ingest(args: argparse.Namespace) -> int:
    from ..common.progress import TqdmProgress
    from ..evaluate.ingest import evaluate_detector, read_labels
    from ..ingest.video import make_detector

    try:
        labels = read_labels(args.labels)
    except (OSError, ValueError) as exc:
        raise DeepSSHError(f"cannot read the labels: {exc}") from None
    rows = []
    for name in args.detector or ["mog2", "mog2+hog", "hog"]:
        bar = TqdmProgress(name, unit="frame")
        try:
            rows.append(asdict(evaluate_detector(args.video, labels, name, make_detector(name), progress=bar)))
        except ValueError as exc:
            raise DeepSSHError(str(exc)) from None
        finally:
            bar.close()
    print(json.dumps({"video": args.video, "labels": args.labels, "min_iou": 0.5, "detectors": rows}, indent=2))
    return 0


def register(sub) -> None:
    e = sub.add_parser("evaluate-ingest", help="detection recall / precision at IoU 0.5 on hand-labelled frames")
    e.add_argument("--video", default="resources/demo/vtest.avi")
    e.add_argument("--labels", default="resources/eval/vtest_people.csv",
                   help="frame,person,x,y,w,h per line (0-based frames), or a MOT gt.txt (1-based)")
    e.add_argument("--detector", action="append", help="mog2, mog2+hog, hog or an .onnx file (repeatable; "
                                                        "default: the first three)")
    e.set_defaults(func=cmd_evaluate_ingest)
