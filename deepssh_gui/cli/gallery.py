"""``deepssh gallery build``."""

from __future__ import annotations

import argparse
import sys

from ..common.errors import DeepSSHError
from .args import (TRACKERS, add_cluster_args, add_engine_arg, default_model_path, parse_time, positive_int,
                   runtime_model)


def cmd_gallery_build(args: argparse.Namespace) -> int:
    from ..search.gallery import Gallery
    from ..ingest.build import build_from_images, build_from_video
    from ..common.progress import TqdmProgress

    if bool(args.images) == bool(args.video):
        raise DeepSSHError("give exactly one of --images DIR or --video FILE [FILE ...]")
    model = runtime_model(args.model, args.engine)
    if args.cluster or args.scheduler or args.shard_size or (args.video and len(args.video) > 1):
        return _build_sharded(args, model)
    args.video = args.video[0] if args.video else None
    bar = TqdmProgress("gallery", unit="frame" if args.video else "img")
    with Gallery.create(args.out, model) as g:
        before = len(g)
        try:
            if args.images:
                rep = build_from_images(g, model, args.images, progress=bar, wait=not args.no_wait)
            else:
                rep = build_from_video(g, model, args.video, camera=args.camera, detector=args.detector,
                                       tracker=args.tracker, best_per_track=args.best_per_track,
                                       start_time=parse_time(args.start_time), progress=bar,
                                       wait=not args.no_wait, person_filter=not args.no_person_filter)
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
        if rep.rejected:
            print(f"person filter: {rep.rejected} crops scored as not a person were kept out of the index; "
                  f"review them with: deepssh gallery rejected {args.out}")
        for n in v.notes:
            print(f"warning: {n}", file=sys.stderr)
    if rep.failed:
        print(f"skipped {len(rep.failed)} unreadable files:", file=sys.stderr)
        for p, why in rep.failed:
            print(f"  {p}: {why}", file=sys.stderr)
    return 0


def _build_sharded(args: argparse.Namespace, model) -> int:
    from ..common.progress import TqdmProgress
    from ..scale.backend import connect
    from ..scale.ingest import build_sharded

    if args.engine != "onnx":
        raise DeepSSHError("sharded builds run on onnxruntime: drop --engine torch")
    if args.camera and args.video and len(args.video) > 1:
        raise DeepSSHError("--camera names one video's camera; with several videos each is named after its file")
    backend = connect(args.cluster, args.scheduler)
    bar = TqdmProgress("shards", unit="shard")
    try:
        rep = build_sharded(args.out, model, backend, videos=args.video, images=args.images,
                            shard_size=args.shard_size or 10_000, progress=bar,
                            video_options=dict(camera=args.camera, detector=args.detector, tracker=args.tracker,
                                               best_per_track=args.best_per_track,
                                               start_time=parse_time(args.start_time)))
    except KeyboardInterrupt:
        print("cancelled: finished shards are kept; run the same command to resume", file=sys.stderr)
        return 130
    finally:
        bar.close()
        backend.close()
    m = rep.manifest
    print(f"sharded gallery {args.out}: {m.n_items} items in {len(m.shards)} shards on {backend.description} "
          f"({len(rep.built)} built now, {len(rep.skipped)} finished earlier)")
    return 0


def cmd_gallery_shard(args: argparse.Namespace) -> int:
    from ..common.progress import TqdmProgress
    from ..scale.split import shard_gallery

    model = runtime_model(args.model)
    bar = TqdmProgress("shard", unit="item")
    try:
        m = shard_gallery(args.gallery, args.shards, args.out, model, progress=bar)
    except KeyboardInterrupt:
        print("cancelled: finished shards are kept; run the same command to resume", file=sys.stderr)
        return 130
    finally:
        bar.close()
    print(f"sharded gallery {args.out}: {m.n_items} items in {len(m.shards)} shards "
          f"({', '.join(f'{s.name} {s.n_items}' for s in m.shards)})")
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


def cmd_gallery_rejected(args: argparse.Namespace) -> int:
    """List the crops the person filter kept out; ``--restore`` brings some (or all) back, audited."""
    import json

    from ..ingest.build import restore_rejected
    from ..search.gallery import Gallery, GalleryError

    model = runtime_model(args.model, args.engine)
    with Gallery.open(args.gallery, model) as g:
        rows = g.rejected_crops()
        if not args.restore and not args.restore_all:
            for r in rows:
                print(f"{r.person_score:.3f}  frame {r.frame}  track {r.track}  {r.crop}")
            print(f"{len(rows)} rejected crops in {args.gallery}" + (" (restore with --restore CROP or --restore-all)"
                                                                     if rows else ""))
            return 0
        crops = [r.crop for r in rows] if args.restore_all else list(args.restore)
        if not crops:
            print("no rejected crops to restore")
            return 0
        try:
            ids = restore_rejected(g, model, crops)
        except GalleryError as exc:
            raise DeepSSHError(str(exc)) from None
        g.append_audit("cli", "restore", f"restored {len(ids)} crops the person filter had rejected", None,
                       json.dumps({"crops": crops}), g.info["model_hash"], ids, examiner=args.examiner)
        print(f"restored {len(ids)} crops as items {ids[0]}-{ids[-1]}")
    return 0


def register(sub) -> None:
    ga = sub.add_parser("gallery", help="build galleries").add_subparsers(dest="gallery_cmd", required=True)
    gb = ga.add_parser("build", help="build or extend a gallery from a folder of crops or a video")
    gb.add_argument("--model", default=str(default_model_path()))
    gb.add_argument("--images", help="folder of crops (recursive)")
    gb.add_argument("--video", nargs="+", help="video file(s); several make a sharded gallery, one shard per video")
    gb.add_argument("--camera", help="camera name for video items (default: read from the file name, e.g. "
                                     "cam3_2026-11-24T08-00-00.mp4, else the file name)")
    gb.add_argument("--detector", help="mog2 (fixed camera; the default), mog2+hog, hog, or a path to an .onnx "
                                       "detector; a resumed build keeps the one it started with")
    gb.add_argument("--tracker", choices=TRACKERS, help=f"default {TRACKERS[0]}; a resumed build keeps the one it "
                                                        f"started with")
    gb.add_argument("--best-per-track", type=positive_int, help="crops kept per track (default 3)")
    gb.add_argument("--start-time", help="wall-clock time of the first frame (seconds or ISO date-time; default: "
                                         "read from the file name, as UTC, else 0)")
    gb.add_argument("--out", required=True, help="gallery directory (created, or extended and resumed)")
    gb.add_argument("--no-wait", action="store_true",
                    help="refuse (exit 2) instead of waiting when another build is writing to the gallery")
    gb.add_argument("--no-person-filter", action="store_true",
                    help="index every crop, even those the model's person filter scores as not a person")
    gb.add_argument("--shard-size", type=positive_int,
                    help="with --images: write a sharded gallery, one shard per this many crops")
    add_engine_arg(gb)
    add_cluster_args(gb)
    gb.set_defaults(func=cmd_gallery_build)

    gs = ga.add_parser("shard", help="split a gallery into shard galleries plus a manifest (for a cluster)")
    gs.add_argument("gallery")
    gs.add_argument("--shards", type=positive_int, required=True)
    gs.add_argument("--out", required=True, help="sharded gallery directory")
    gs.add_argument("--model", default=str(default_model_path()))
    gs.set_defaults(func=cmd_gallery_shard)

    gr = ga.add_parser("reencode", help="add attribute probabilities to a gallery built before they were stored")
    gr.add_argument("gallery")
    gr.add_argument("--model", default=str(default_model_path()))
    add_engine_arg(gr)
    gr.set_defaults(func=cmd_gallery_reencode)

    gj = ga.add_parser("rejected", help="list the crops the person filter kept out of a video gallery, or restore them")
    gj.add_argument("gallery")
    gj.add_argument("--restore", nargs="+", metavar="CROP", help="crops (as listed) to index after all")
    gj.add_argument("--restore-all", action="store_true")
    gj.add_argument("--examiner", help="recorded in the audit log with the restore (default: the login user)")
    gj.add_argument("--model", default=str(default_model_path()))
    add_engine_arg(gj)
    gj.set_defaults(func=cmd_gallery_rejected)
