"""``deepssh gallery shard``: split an existing gallery into shard galleries plus a manifest.

Shards take contiguous id ranges, so global ids equal the source gallery's ids and a sharded
search returns the same ids as a search of the source. Each shard is self-contained: crops the
source keeps in its own ``crops/`` folder are copied into the shard's, thumbnails are rewritten,
and the folders the source's files live in are recorded as the shard's source folders.
Re-running after an interruption redoes only the shards that were not complete.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from ..common.atomic import atomic_copy
from ..common.errors import DeepSSHError
from ..common.progress import Progress, check_cancel, no_progress
from ..model.calibration import scores_from_blobs
from ..search.audit import genesis
from ..search.gallery import Gallery, NewItem
from .manifest import MANIFEST_NAME, ShardInfo, ShardManifest, read_manifest, write_manifest


def shard_name(i: int) -> str:
    return f"shard-{i:04d}"


def _fill_shard(src: Gallery, shard: Gallery, ids: range, batch: int, progress: Progress, cancel) -> None:
    for root in src.source_roots:  # the source's own folder is not one: files inside it are copied
        shard.add_root(root)
    cols = ("id, crop, thumb, source, source_sha256, camera, frame, timestamp, x, y, w, h, track, identity, "
            "code, attr_scores")
    for s in range(ids.start, ids.stop, batch):
        check_cancel(cancel)
        e = min(ids.stop, s + batch)
        rows = src.conn.execute(f"SELECT {cols} FROM items WHERE id >= ? AND id < ? ORDER BY id", (s, e)).fetchall()
        # the hashes recorded at ingest travel with the crops (never recomputed: a crop swapped in
        # the source gallery must stay a mismatch in its shard)
        recorded = src.crop_hashes(range(s, e))
        items, sources = [], {}
        for r in rows:
            crop_abs, source_abs = src.resolve(r[1]), src.resolve(r[3])
            if r[1] == r[3]:  # a folder gallery: the crop is its own source, outside the gallery
                crop = source = shard.rel(source_abs)
            else:  # a video crop kept inside the source gallery: the shard gets its own copy
                if os.path.isfile(crop_abs):  # a crop lost from the source stays lost; evidence checks flag it
                    atomic_copy(crop_abs, shard.root / r[1])
                crop, source = r[1], shard.rel(source_abs)
            thumb = None
            if r[2] is not None:
                try:
                    thumb = Path(src.resolve(r[2])).read_bytes()
                except OSError:
                    thumb = None  # a lost thumbnail stays lost; the details pane says so
            bbox = None if r[8] is None else (r[8], r[9], r[10], r[11])
            items.append(NewItem(crop=crop, source=source, source_sha256=r[4], code=np.frombuffer(r[14], np.uint8),
                                 attr_scores=scores_from_blobs([r[15]], src.layout.n_attrs)[0], thumb_jpeg=thumb, camera=r[5],
                                 frame=r[6], timestamp=r[7], bbox=bbox, track=r[12], identity=r[13],
                                 crop_sha256=recorded.get(r[0]) if r[1] != r[3] else None))
            sources[source] = (source, r[4], "video" if r[1] != r[3] else "image", "done", None,
                               sources.get(source, (0,) * 6)[5] + 1)
        shard.add_batch(items, list(sources.values()))
        progress(e - ids.start, len(ids), shard.root.name)


def shard_gallery(src_path: str | os.PathLike, n_shards: int, out: str | os.PathLike, model,
                  progress: Progress = no_progress, cancel=None, batch: int = 2000) -> ShardManifest:
    """Split the gallery at ``src_path`` into ``n_shards`` shards under ``out`` (resumable).

    ``model`` is the model file (path or loaded) that built the gallery."""
    from ..model.modelfile import load_model_file

    model = load_model_file(model) if isinstance(model, (str, os.PathLike)) else model
    out = Path(out)
    if n_shards < 1:
        raise DeepSSHError(f"--shards must be at least 1, got {n_shards}")
    with Gallery.open(src_path, model, read_only=True) as src:
        n = len(src)
        if n_shards > max(1, n):
            raise DeepSSHError(f"cannot split {n} items into {n_shards} shards")
        bounds = np.linspace(0, n, n_shards + 1).round().astype(int)
        if (out / MANIFEST_NAME).exists():
            manifest = read_manifest(out)
            if manifest.model_hash != src.info["model_hash"] or len(manifest.shards) != n_shards:
                raise DeepSSHError(f"{str(out)!r} already holds a different sharded gallery; choose another --out")
        else:
            out.mkdir(parents=True, exist_ok=True)
            manifest = ShardManifest(src.info["model_hash"], src.info["model_name"], int(src.info["nbits"]),
                                     [ShardInfo(shard_name(i), int(bounds[i + 1] - bounds[i]), int(bounds[i]),
                                                f"{Path(src_path).resolve()} items {bounds[i]}..{bounds[i + 1] - 1}",
                                                complete=False) for i in range(n_shards)])
            write_manifest(out, manifest)
        for i, info in enumerate(manifest.shards):
            if info.complete:
                continue
            shard_dir = out / info.name
            if shard_dir.exists():  # an interrupted earlier attempt: start this shard again
                shutil.rmtree(shard_dir)
            with Gallery.create(shard_dir, model) as shard:
                with shard.writer():
                    _fill_shard(src, shard, range(int(bounds[i]), int(bounds[i + 1])), batch, progress, cancel)
                    shard.finalize()
                info.gallery_id = genesis(shard.info)
            info.complete = True
            write_manifest(out, manifest)
    return manifest
