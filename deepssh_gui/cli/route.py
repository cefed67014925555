"""``deepssh route`` (where a person went, from confirmed hits) and ``frame-hash`` (a redacted
report's unredacted frames, recomputed from the footage)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..common.errors import DeepSSHError
from .args import add_cluster_args, add_engine_arg, default_model_path, open_engine, runtime_model
from .search import plain


def cmd_route(args: argparse.Namespace) -> int:
    """Where the person went: the given items (or the confirmed ones) by time, per camera; audited."""
    from ..search.route import confirmed_in_audit

    eng = open_engine(args.gallery, runtime_model(args.model, args.engine), args)
    try:
        if args.confirmed:
            ids = confirmed_in_audit(eng.gallery.audit_entries("mark"))
            if not ids:
                raise DeepSSHError("no confirmed hits in this gallery's audit log (confirm hits in the GUI, key C)")
        else:
            try:
                ids = [int(x) for x in args.ids.split(",") if x.strip()]
            except ValueError:
                raise DeepSSHError(f"--ids expects comma-separated item ids, got {args.ids!r}") from None
            if not ids:
                raise DeepSSHError("--ids names no item")
        route = eng.route(ids, origin="cli", examiner=args.examiner)
    finally:
        eng.close()
    if args.json:
        print(json.dumps({"items": ids, "audit_id": route.audit_id, "notes": route.notes,
                          "undated": list(route.undated),
                          "sightings": [{"camera": s.camera, "first": s.first, "last": s.last, "items": list(s.items)}
                                        for s in route.sightings],
                          "legs": [{"from": g.from_camera, "to": g.to_camera, "gap_seconds": g.gap_seconds}
                                   for g in route.legs]}, indent=1))
        return 0
    print(f"route through {len(ids)} items ({len(route.sightings)} sightings on "
          f"{len(set(route.cameras))} cameras; audit entry {route.audit_id})")
    for line in route.lines():
        print(plain(line))
    return 0


def cmd_frame_hash(args: argparse.Namespace) -> int:
    """SHA-256 of a video frame's decoded RGB24 pixels, as listed in ``REPORT.originals.sha256``."""
    from ..ingest.redact import frame_sha256, original_frame_name
    from ..ingest.video import read_frame_rgb

    if not Path(args.video).is_file():
        raise DeepSSHError(f"{args.video!r} is not a file")
    rgb = read_frame_rgb(args.video, args.frame)
    if rgb is None:
        raise DeepSSHError(f"cannot decode frame {args.frame} of {args.video!r}")
    print(f"{frame_sha256(rgb)}  {original_frame_name(args.video, args.frame)}")
    return 0


def register_route(sub) -> None:
    ro = sub.add_parser("route", help="where a person went: hits by time, grouped into sightings per camera")
    ro.add_argument("--gallery", required=True)
    ro.add_argument("--model", default=str(default_model_path()))
    which = ro.add_mutually_exclusive_group(required=True)
    which.add_argument("--ids", help="comma-separated item ids, e.g. 3,17,42")
    which.add_argument("--confirmed", action="store_true", help="the hits confirmed in the gallery's audit log")
    ro.add_argument("--json", action="store_true")
    ro.add_argument("--examiner", help="who asks, for the audit log (default: the OS user)")
    add_engine_arg(ro)
    add_cluster_args(ro)
    ro.set_defaults(func=cmd_route)


def register(sub) -> None:
    register_route(sub)
    fh = sub.add_parser("frame-hash", help="SHA-256 of a video frame's decoded pixels (checks a redacted report's "
                                           "originals.sha256 line)")
    fh.add_argument("video")
    fh.add_argument("frame", type=int)
    fh.set_defaults(func=cmd_frame_hash)
