"""``deepssh evaluate-ingest``: person detection against hand-labelled boxes (evaluate/ingest.py) and,
where the labels carry trajectory ids, identities through ingest's tracking (evaluate/tracking.py)."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from ..common.errors import DeepSSHError
from .args import TRACKERS


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
    out = {"video": args.video, "labels": args.labels, "min_iou": 0.5, "detectors": rows}
    if args.tracker:
        out["tracking"] = _tracking_rows(args)
    print(json.dumps(out, indent=2))
    return 0


def _tracking_rows(args: argparse.Namespace) -> list[dict]:
    from ..common.progress import TqdmProgress
    from ..evaluate.ingest import read_people
    from ..evaluate.tracking import evaluate_tracking

    try:
        people = read_people(args.labels)
    except (OSError, ValueError) as exc:
        raise DeepSSHError(f"cannot read the labels: {exc}") from None
    if not any(p > 0 for boxes in people.values() for p, _ in boxes):
        raise DeepSSHError(f"{args.labels} gives no person a trajectory id (the person column is 0 throughout): "
                           f"identities cannot be scored")
    rows = []
    for tracker in args.tracker:
        bar = TqdmProgress(f"{args.track_detector} + {tracker}", unit="frame")
        try:
            rows.append(asdict(evaluate_tracking(args.video, people, args.track_detector, tracker, progress=bar)))
        except ValueError as exc:
            raise DeepSSHError(str(exc)) from None
        finally:
            bar.close()
    return rows


def register(sub) -> None:
    e = sub.add_parser("evaluate-ingest", help="detection recall / precision at IoU 0.5 on hand-labelled frames")
    e.add_argument("--video", default="resources/demo/vtest.avi")
    e.add_argument("--labels", default="resources/eval/vtest_people.csv",
                   help="frame,person,x,y,w,h per line (0-based frames), or a MOT gt.txt (1-based)")
    e.add_argument("--detector", action="append", help="mog2, mog2+hog, hog or an .onnx file (repeatable; "
                                                        "default: the first three)")
    e.add_argument("--tracker", action="append", choices=TRACKERS,
                   help="also score identities through ingest with this tracker (repeatable): ID switches, "
                        "tracks and crops per person; needs trajectory ids in the labels' person column")
    e.add_argument("--track-detector", default="mog2", help="the detector ingest uses for --tracker (default mog2)")
    e.set_defaults(func=cmd_evaluate_ingest)
