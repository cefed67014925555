"""Building galleries from folders of crops and from video (resumable, cancellable)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ..common.atomic import atomic_write_bytes
from .folder import load_folder
from .names import footage_from_name, parse_reid_name
from ..model.calibration import probability_bytes
from ..model.modelfile import ModelFile
from ..model.person import person_filter_of
from ..common.errors import ImageError
from ..search.gallery import Gallery, GalleryError, NewItem, sha256_file
from ..common.imageio import import_cv2, load_crop, read_rgb, resize_rgb
from ..common.progress import Progress, check_cancel, no_progress
from .video import TRACKERS, VideoReport, iter_video_tracks

THUMB_HW = (128, 64)


@dataclass
class BuildReport:
    added: int = 0
    skipped_done: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    video: VideoReport | None = None
    rejected: int = 0  # crops the person filter kept out of the index (listed by `deepssh gallery rejected`)
    repairs: list[str] = field(default_factory=list)  # leftovers of an interrupted build, fixed first


def _jpeg(rgb: np.ndarray, quality: int = 88) -> bytes:
    cv2 = import_cv2()
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(rgb[:, :, ::-1]), [cv2.IMWRITE_JPEG_QUALITY, quality])
    return buf.tobytes()


def _crop_meta(path: str) -> tuple[str | None, str | None]:
    """Camera and identity from a Market-1501-style name (``0002_c1s1_000451_03.jpg``), if any."""
    parsed = parse_reid_name(Path(path).name)
    if parsed is None:
        return None, None
    pid, cam = parsed
    return cam, (None if pid in ("-1", "0000") else pid)


def _build_from_images(gallery: Gallery, model: ModelFile, images: str, batch_size: int = 128,
                      progress: Progress = no_progress, cancel: Callable[[], bool] | None = None) -> BuildReport:
    """Add every image under ``images`` (recursive) not yet in the gallery. Finalises the index."""
    t0 = time.perf_counter()
    rep = BuildReport()
    paths = [str(Path(p).resolve()) for p in load_folder(images)]
    # the folders the gallery may point into: the input folder, or those of a file list's files
    for folder in ([Path(images).resolve()] if Path(images).is_dir() else sorted({os.path.dirname(p) for p in paths})):
        gallery.add_root(folder)
    todo = []
    for p in paths:
        if gallery.source_status(gallery.rel(p)) in ("done", "failed"):
            rep.skipped_done += 1
        else:
            todo.append(p)
    hw = model.config.input_hw
    encoder = model.encoder()
    total = len(todo)
    progress(0, total, "encoding crops")
    for s in range(0, total, batch_size):
        check_cancel(cancel)
        batch = todo[s:s + batch_size]
        imgs, ok_paths, sources = [], [], []
        for p in batch:
            try:
                imgs.append(load_crop(p, hw))
                ok_paths.append(p)
            except ImageError as exc:
                rep.failed.append((p, exc.reason))
                sources.append((gallery.rel(p), "", "image", "failed", exc.reason, 0))
        items = []
        if imgs:
            arr = np.stack(imgs)
            codes, scores, _ = encoder.encode(arr)
            for p, img, c, sc in zip(ok_paths, arr, codes, scores):
                sha = sha256_file(p)
                cam, ident = _crop_meta(p)
                items.append(NewItem(crop=gallery.rel(p), source=gallery.rel(p), source_sha256=sha, code=c,
                                     attr_scores=sc, thumb_jpeg=_jpeg(resize_rgb(img, THUMB_HW)), camera=cam,
                                     identity=ident))
                sources.append((gallery.rel(p), sha, "image", "done", None, 1))
        gallery.add_batch(items, sources)
        rep.added += len(items)
        progress(min(total, s + batch_size), total, f"{rep.added} added")
    gallery.finalize()
    rep.seconds = time.perf_counter() - t0
    return rep


# What a partial build records of its settings, so that a resume gives the crops an uninterrupted
# build would; builds interrupted before settings were recorded used these (the defaults then).
VIDEO_DEFAULTS = {"detector": "mog2", "tracker": TRACKERS[0], "best_per_track": 3}
_OLD_PARTIAL = {"detector": "mog2", "tracker": "deepsort", "best_per_track": 3}


def _partial_state(detail: str | None) -> tuple[int, dict]:
    """``(last committed frame, settings)`` of a partial video build's ``detail``: JSON
    ``{"frame": N, "detector": ..., "tracker": ..., "best_per_track": ...}``, or a bare frame
    number written before settings were recorded."""
    text = (detail or "0").strip()
    if text.startswith("{"):
        d = json.loads(text)
        return int(d["frame"]), {k: d[k] for k in VIDEO_DEFAULTS}
    return int(text), dict(_OLD_PARTIAL)


def _video_settings(asked: dict, recorded: dict | None, video: str) -> dict:
    """The settings to build with: what was asked (None: not asked), else what the partial build
    recorded, else the defaults. Asking a resume for other settings is refused."""
    if recorded is None:
        return {k: v if asked.get(k) is None else asked[k] for k, v in VIDEO_DEFAULTS.items()}
    clash = [f"--{k.replace('_', '-')} {asked[k]} (it was built with {recorded[k]})"
             for k in VIDEO_DEFAULTS if asked.get(k) is not None and asked[k] != recorded[k]]
    if clash:
        from ..common.errors import DeepSSHError

        raise DeepSSHError(f"{video!r} was partly built with other settings; resuming with {', '.join(clash)} "
                           f"would mix crops of two pipelines. Resume without them, or build into another gallery")
    return dict(recorded)


def _build_from_video(gallery: Gallery, model: ModelFile, video: str, camera: str | None = None,
                     detector: str | None = None, tracker: str | None = None, best_per_track: int | None = None,
                     start_time: float | None = None, progress: Progress = no_progress,
                     cancel: Callable[[], bool] | None = None, person_filter: bool = True) -> BuildReport:
    """Detect and track people in ``video``; add the best crops of each track.

    With ``person_filter`` and a model that has one (model/person.py), crops scoring below its
    threshold are not indexed: they are recorded as rejected, in the same transaction as their
    batch, for review and :func:`restore_rejected`.

    ``camera`` and ``start_time`` (Unix seconds of the first frame) default to what the file
    name says (``cam3_2026-11-24T08-00-00.mp4``, :func:`footage_from_name`), else the file's stem
    and 0 (times are then seconds into the clip).

    Crops are saved under ``<gallery>/crops/<video stem>/``. Progress is committed as tracks
    end, with the detector, tracker and crops per track; an interrupted ingest resumes after the
    last committed frame with the same settings (``None`` here: the recorded ones, else
    ``VIDEO_DEFAULTS``).
    """
    t0 = time.perf_counter()
    rep = BuildReport(video=VideoReport())
    src_abs = str(Path(video).resolve())
    if not os.path.isfile(src_abs):
        from ..common.errors import DeepSSHError

        raise DeepSSHError(f"video {video!r} does not exist")
    gallery.add_root(os.path.dirname(src_abs))
    src = gallery.rel(src_abs)
    status = gallery.source_status(src)
    if status == "done":
        rep.skipped_done = 1
        return rep
    committed = -1  # chunks up to this frame are in the gallery already
    sha = sha256_file(src_abs)
    recorded = None
    if status == "partial":
        row = [s for s in gallery.sources() if s["path"] == src][0]
        committed, recorded = _partial_state(row["detail"])
        if row.get("sha256") and row["sha256"] != sha:
            from ..common.errors import DeepSSHError

            raise DeepSSHError(f"{video!r} changed since its interrupted build (SHA-256 {row['sha256'][:12]}... then, "
                               f"{sha[:12]}... now): resuming would mix crops of two files. Build the new file into "
                               f"another gallery, or restore the original file")
    settings = _video_settings({"detector": detector, "tracker": tracker, "best_per_track": best_per_track},
                               recorded, video)
    detector, tracker, best_per_track = settings["detector"], settings["tracker"], settings["best_per_track"]
    name_cam, name_start = footage_from_name(src_abs)
    cam = camera or name_cam or Path(src_abs).stem
    if start_time is None:
        start_time = name_start if name_start is not None else 0.0
    stem = re.sub(r"[^\w.-]+", "_", Path(src_abs).stem)
    crop_dir = gallery.root / "crops" / stem
    crop_dir.mkdir(parents=True, exist_ok=True)
    hw = model.config.input_hw
    encoder = model.encoder()
    pf = person_filter_of(model) if person_filter else None
    cv2 = import_cv2()
    # A resume replays detection and tracking from the first frame (the background model and the
    # tracker depend on every earlier frame) and skips the chunks already committed, so it gives
    # exactly the crops and track ids of an uninterrupted build; ingest runs at 20x real time.
    for frame_done, crops, final_chunk in iter_video_tracks(src_abs, detector, tracker, best_per_track,
                                                            report=rep.video, progress=progress, cancel=cancel):
        if not final_chunk and frame_done <= committed:
            continue
        items, rejected = [], []
        if crops:
            rgbs = [c.crop_bgr[:, :, ::-1] for c in crops]
            arr = np.stack([resize_rgb(np.ascontiguousarray(r), hw) for r in rgbs])
            codes, scores, feats = encoder.encode(arr, with_features=pf is not None)
            person = pf.scores(feats) if pf is not None else np.ones(len(crops), np.float32)
            for c, rgb, code, sc, ps in zip(crops, rgbs, codes, scores, person):
                tid = c.track
                name = f"t{tid:05d}_f{c.frame:06d}.jpg"
                final = crop_dir / name
                ok, buf = cv2.imencode(".jpg", c.crop_bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
                data = buf.tobytes()
                atomic_write_bytes(final, data)
                keep = pf is None or float(ps) >= pf.threshold
                item = NewItem(crop=gallery.rel(final), source=src, source_sha256=sha, code=code, attr_scores=sc,
                               thumb_jpeg=_jpeg(resize_rgb(np.ascontiguousarray(rgb), THUMB_HW)) if keep else None,
                               camera=cam, frame=c.frame, timestamp=start_time + c.timestamp,
                               bbox=c.box, track=tid, crop_sha256=hashlib.sha256(data).hexdigest(),
                               person_score=None if pf is None else float(ps))
                (items if keep else rejected).append(item)
        status = "done" if final_chunk else "partial"
        detail = None if final_chunk else json.dumps({"frame": int(frame_done), **settings})
        if final_chunk and rep.video.damaged:
            detail = "; ".join(rep.video.notes)
        n_prev = gallery.conn.execute("SELECT COUNT(*) FROM items WHERE source = ?", (src,)).fetchone()[0]
        gallery.add_batch(items, [(src, sha, "video", status, detail, n_prev + len(items))], rejected=rejected)
        rep.added += len(items)
        rep.rejected += len(rejected)
    gallery.finalize()
    rep.seconds = time.perf_counter() - t0
    return rep


def _reencode_probabilities(gallery: Gallery, model: ModelFile, batch_size: int = 128,
                           progress: Progress = no_progress, cancel: Callable[[], bool] | None = None) -> int:
    """Store calibrated attribute probabilities in a gallery built before they were kept.

    Every crop is encoded again with the gallery's own model (the gallery refuses any other).
    The stored codes stay as they are; the new codes must agree with them on at least 95% of
    bits (video crops were encoded before being saved as JPEG, so a few bits may differ),
    otherwise the crop files are not what was encoded and nothing more is written. Each batch commits on its own and
    the next id to do is kept in the gallery, so a cancelled run resumes where it stopped.
    Returns the number of items updated.
    """
    gallery._writable()
    if gallery.has_probabilities:
        return 0
    kind = "calibrated" if model.calibration is not None else "uncalibrated"
    row = gallery.conn.execute("SELECT value FROM info WHERE key = 'reencode_next'").fetchone()
    start, n = int(row[0]) if row else 0, len(gallery)
    encoder, hw = model.encoder(), model.config.input_hw
    done = 0
    progress(start, n, "re-encoding crops")
    for s in range(start, n, batch_size):
        check_cancel(cancel)
        ids = list(range(s, min(n, s + batch_size)))
        metas = gallery.items(ids)
        imgs = []
        for m in metas:
            try:
                imgs.append(load_crop(m.crop, hw))
            except ImageError as exc:
                raise GalleryError(f"crop {m.crop!r} of item {m.id} cannot be read ({exc.reason}); "
                                   f"its probabilities cannot be computed") from None
        codes, probs, _ = encoder.encode(np.stack(imgs))
        agree = (np.unpackbits(codes, axis=1) == np.unpackbits(gallery.codes_of(ids), axis=1)).mean()
        if agree < 0.95:
            raise GalleryError(f"re-encoding items {ids[0]}-{ids[-1]} gives codes that agree with the stored ones on "
                               f"only {100 * agree:.1f}% of bits: the crop files changed; nothing further was written")
        with gallery.conn:
            gallery.upgrade_format()
            gallery.conn.executemany("UPDATE items SET attr_scores = ? WHERE id = ?",
                                     [(b.tobytes(), i) for i, b in zip(ids, probability_bytes(probs))])
            gallery.conn.execute("INSERT OR REPLACE INTO info VALUES ('reencode_next', ?)", (str(ids[-1] + 1),))
        done += len(ids)
        progress(ids[-1] + 1, n, "re-encoding crops")
    with gallery.conn:
        gallery.conn.execute("INSERT OR REPLACE INTO info VALUES ('attr_scores', ?)", (kind,))
        gallery.conn.execute("DELETE FROM info WHERE key = 'reencode_next'")
    gallery.info["attr_scores"] = kind
    gallery.finalize()
    return done


def repair_files(gallery: Gallery) -> list[str]:
    """Undo what a crash between a commit and its file renames leaves behind (run under the writer lock).

    Temporary files in ``thumbs/`` and ``crops/`` are removed (no other writer can own them), and
    every item whose thumbnail is missing gets it again from its crop. Returns what was done.
    """
    done = []
    stray = [p for d in ("thumbs", "crops") for p in (gallery.root / d).rglob("*.tmp")]
    for p in stray:
        p.unlink(missing_ok=True)
    if stray:
        done.append(f"removed {len(stray)} temporary files left by an interrupted build")
    rebuilt = 0
    for _iid, crop, thumb in gallery.conn.execute("SELECT id, crop, thumb FROM items WHERE thumb IS NOT NULL"):
        final = gallery.root / thumb
        if not final.is_file():
            try:
                atomic_write_bytes(final, _jpeg(load_crop(gallery.resolve(crop), THUMB_HW)))
                rebuilt += 1
            except (ImageError, GalleryError, OSError):
                continue  # its crop is gone too: the item keeps no thumbnail, the details pane says so
    if rebuilt:
        done.append(f"re-created {rebuilt} missing thumbnails from their crops")
    return done


def _one_writer(fn):
    """Run ``fn(gallery, model, ...)`` holding the gallery's single-writer lock (see Gallery.writer),
    after repairing what an interrupted earlier build left behind."""
    import functools

    @functools.wraps(fn)
    def run(gallery: Gallery, model: ModelFile, *args, wait: bool = True, progress: Progress = no_progress, **kw):
        with gallery.writer(wait, on_wait=lambda: progress(0, 0, "waiting for another build of this gallery")):
            repaired = repair_files(gallery)
            rep = fn(gallery, model, *args, progress=progress, **kw)
            if isinstance(rep, BuildReport):
                rep.repairs = repaired
            return rep
    return run


def _restore_rejected(gallery: Gallery, model: ModelFile, crops: list[str], progress: Progress = no_progress
                      ) -> list[int]:
    """Bring rejected crops (as stored, see ``Gallery.rejected_crops``) back as items; returns their
    new ids (appended: ids already given never change). Their hashes recorded at ingest come
    with them; the crop file must still match it."""
    try:
        items = gallery.rejected_items(crops)
    except KeyError as exc:
        raise GalleryError(f"{exc.args[0]!r} is not a rejected crop of gallery {str(gallery.root)!r}") from None
    for it in items:
        path = gallery.resolve(it.crop)  # refuses a path edited to point outside the gallery
        try:
            if it.crop_sha256 and sha256_file(path) != it.crop_sha256:
                raise GalleryError(f"the crop file {path!r} changed since ingest (its SHA-256 differs from the one "
                                   f"recorded); it was not restored")
            it.thumb_jpeg = _jpeg(resize_rgb(read_rgb(path), THUMB_HW))
        except (OSError, ImageError) as exc:
            raise GalleryError(f"the rejected crop {path!r} cannot be read ({exc}); nothing was restored") from None
    start = len(gallery)
    gallery.add_batch(items, [], restored=[it.crop for it in items])
    gallery.finalize()
    progress(len(items), len(items), "restored")
    return list(range(start, start + len(items)))


build_from_images = _one_writer(_build_from_images)
restore_rejected = _one_writer(_restore_rejected)
build_from_video = _one_writer(_build_from_video)
reencode_probabilities = _one_writer(_reencode_probabilities)
