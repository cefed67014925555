"""``deepssh gallery build``."""

from __future__ import annotations

import argparse
import sys

from ..common.errors import DeepSSHError
from .args import add_engine_arg, default_model_path, parse_time, runtime_model


def cmd_gallery_build(args: argparse.Namespace) -> int:
    from ..search.gallery import Gallery
    from ..ingest.build import build_from_images, build_from_video
    from ..common.progress import TqdmProgress

    if bool(args.images) == bool(args.video):
        raise DeepSSHError("give exactly one of --images DIR or --video FILE")
    model = runtime_model(args.model, args.engine)
    bar = TqdmProgress("gallery", unit="frame" if args.video else "img")
    with Gallery.create(args.out, model) as g:
        before = len(g)
        try:
            if args.images:
                rep = build_from_images(g, model, args.images, progress=bar, wait=not args.no_wait)
            else:
                rep = build_from_video(g, model, args.video, camera=args.camera, detector=args.detector,
                                       tracker=args.tracker, best_per_track=args.best_per_track,
                                       start_time=parse_time(args.start_time) or 0.0, progress=bar,
                                       wait=not args.no_wait)
        except KeyboardInterrupt:
            bar.close()
            print(f"cancelled: the gallery keeps {len(g)} items; run the same command to resume", file=sys.stderr)
            return 130
        bar.close()
        total = len(g)
    print(f"gallery {args.out}: {total} items ({total - before} added, {rep.skipped_done} sources already done) "
          f"in {rep.seconds:.1f} s")
    for r in rep.repairs:
        print(f"repaired: {r}")
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


def cmd_gallery_reencode(args: argparse.Namespace) -> int:
    from ..common.progress import TqdmProgress
    from ..ingest.build import reencode_probabilities
    from ..search.gallery import Gallery

    model = runtime_model(args.model, args.engine)
    bar = TqdmProgress("re-encode", unit="img")
    with Gallery.open(args.gallery, model) as g:
        if g.has_probabilities:
            print(f"gallery {args.gallery} already stores {g.probability_kind} attribute probabilities")
            return 0
        try:
            n = reencode_probabilities(g, model, progress=bar)
        except KeyboardInterrupt:
            bar.close()
            print("cancelled: run the same command to resume", file=sys.stderr)
            return 130
        bar.close()
        print(f"gallery {args.gallery}: {n} items now carry {g.probability_kind} attribute probabilities")
    return 0


def register(sub) -> None:
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
    gb.add_argument("--no-wait", action="store_true",
                    help="refuse (exit 2) instead of waiting when another build is writing to the gallery")
    add_engine_arg(gb)
    gb.set_defaults(func=cmd_gallery_build)

    gr = ga.add_parser("reencode", help="add attribute probabilities to a gallery built before they were stored")
    gr.add_argument("gallery")
    gr.add_argument("--model", default=str(default_model_path()))
    add_engine_arg(gr)
    gr.set_defaults(func=cmd_gallery_reencode)
