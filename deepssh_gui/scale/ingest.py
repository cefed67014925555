"""Distributed ingest: one task per video or per chunk of a folder, each writing its own shard.

The client owns the manifest (one writer): it records every shard as it finishes, so an
interrupted or partly failed build, run again with the same inputs, skips finished shards and
resumes the others where they stopped (each shard's build is itself resumable). A task that
fails is retried once (elsewhere when its worker died); what still fails is named and the
command exits non-zero, with everything finished kept.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..common.atomic import atomic_write_text
from ..common.errors import DeepSSHError
from ..common.progress import Progress, no_progress
from ..ingest.folder import load_folder
from ..model.modelfile import load_model_file
from ..search.audit import genesis
from ..search.gallery import Gallery
from .manifest import MANIFEST_NAME, ShardInfo, ShardManifest, read_manifest, write_manifest
from .split import shard_name

CHUNKS_DIR = "chunks"

_MODELS: dict[str, object] = {}
_MODELS_LOCK = threading.Lock()


def _worker_model(model_path: str):
    with _MODELS_LOCK:
        if model_path not in _MODELS:
            _MODELS[model_path] = load_model_file(model_path)
        return _MODELS[model_path]


def build_video_shard(shard_dir: str, model_path: str, video: str, options: dict) -> int:
    """Run on a worker: ingest one video into one shard gallery; returns its item count."""
    from ..ingest.build import build_from_video

    model = _worker_model(model_path)
    with Gallery.create(shard_dir, model) as g:
        build_from_video(g, model, video, **options)
        return len(g)


def build_images_shard(shard_dir: str, model_path: str, file_list: str) -> int:
    """Run on a worker: encode the crops listed in ``file_list`` into one shard gallery."""
    from ..ingest.build import build_from_images

    model = _worker_model(model_path)
    with Gallery.create(shard_dir, model) as g:
        build_from_images(g, model, file_list)
        return len(g)


@dataclass
class ShardedBuildReport:
    built: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # finished by an earlier run
    manifest: ShardManifest | None = None


def _plan(out: Path, model, sources: list[str]) -> ShardManifest:
    if (out / MANIFEST_NAME).exists():
        manifest = read_manifest(out)
        if manifest.model_hash != model.hash:
            raise DeepSSHError(f"{str(out)!r} holds shards of another model ({manifest.model_name}); "
                               f"choose another --out")
        if [s.source for s in manifest.shards] != sources:
            raise DeepSSHError(f"{str(out)!r} was started with other inputs; resume with the same ones "
                               f"or choose another --out")
        return manifest
    out.mkdir(parents=True, exist_ok=True)
    manifest = ShardManifest(model.hash, model.name, model.config.nbits,
                             [ShardInfo(shard_name(i), 0, 0, src, complete=False) for i, src in enumerate(sources)])
    write_manifest(out, manifest)
    return manifest


def build_sharded(out: str | os.PathLike, model, backend, *, videos: list[str] | None = None,
                  images: str | None = None, shard_size: int = 10_000, video_options: dict | None = None,
                  progress: Progress = no_progress) -> ShardedBuildReport:
    """Build (or resume) a sharded gallery at ``out``: one shard per video, or per ``shard_size`` crops."""
    out = Path(out)
    model_path = str(Path(model.path).resolve())
    if bool(videos) == bool(images):
        raise DeepSSHError("give videos or an image folder, not both")
    if videos:
        paths = [str(Path(v).resolve()) for v in videos]
        missing = [v for v in paths if not os.path.isfile(v)]
        if missing:
            raise DeepSSHError(f"video file(s) not found: {', '.join(missing)}")
        sources = paths
    else:
        if shard_size < 1:
            raise DeepSSHError(f"--shard-size must be at least 1, got {shard_size}")
        files = [str(Path(p).resolve()) for p in load_folder(images)]
        if not files:
            raise DeepSSHError(f"no images found in {images!r}")
        chunks = [files[i:i + shard_size] for i in range(0, len(files), shard_size)]
        sources = [f"{Path(images).resolve()} files {i * shard_size}..{i * shard_size + len(c) - 1}"
                   for i, c in enumerate(chunks)]
    manifest = _plan(out, model, sources)
    report = ShardedBuildReport(manifest=manifest)
    todo = [s for s in manifest.shards if not s.complete]
    report.skipped = [s.name for s in manifest.shards if s.complete]
    tasks = []
    for s in todo:
        shard_dir = str((out / s.name).resolve())
        if videos:
            tasks.append((build_video_shard, (shard_dir, model_path, s.source, dict(video_options or {}))))
        else:
            i = manifest.shards.index(s)
            listed = out / CHUNKS_DIR / f"{s.name}.txt"
            listed.parent.mkdir(exist_ok=True)
            atomic_write_text(listed, "\n".join(chunks[i]) + "\n")
            tasks.append((build_images_shard, (shard_dir, model_path, str(listed.resolve()))))
    progress(0, len(todo), f"{len(report.skipped)} shards already built")

    def done(name: str, n_items: int) -> None:
        info = next(s for s in manifest.shards if s.name == name)
        info.n_items, info.complete = int(n_items), True
        with Gallery.open(out / name, read_only=True) as g:  # its identity, so a swapped folder is refused later
            info.gallery_id = genesis(g.info)
        manifest.renumber()
        write_manifest(out, manifest)  # the client is the manifest's only writer
        report.built.append(name)
        progress(len(report.built), len(todo), f"{name}: {n_items} items")

    if todo:  # raises ShardTaskError naming what failed, after recording what finished
        backend.run(tasks[0][0], [t[1] for t in tasks], [s.name for s in todo], what="the build", on_done=done)
    return report
