"""A sharded gallery seen as one gallery by the client: metadata, audit log and identity.

The GUI, the evidence report and saved sessions ask a gallery for items, tracks, its state,
its content digest and its audit head. :class:`ShardedGallery` answers them over the shards
(opened read-only in this process, on the shared file system, when first needed) with global
ids; ranking itself runs where the backend puts it (see :mod:`.engine`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from ..search.gallery import Gallery, GalleryError, ItemMeta
from .manifest import ShardInfo, ShardManifest


class ShardedGallery:
    sharded = True  # what the GUI checks before offering single-gallery operations (re-encoding)

    def __init__(self, root: Path, manifest: ShardManifest, model, audit: Gallery) -> None:
        self.root, self.manifest, self.model, self.audit = root, manifest, model, audit
        self.layout = model.config.layout
        self._open: dict[str, Gallery] = {}

    # identity and audit: the sharded gallery's own log
    @property
    def info(self) -> dict:
        return self.audit.info

    @property
    def read_only(self) -> bool:
        return self.audit.read_only

    def audit_head(self) -> str | None:
        return self.audit.audit_head()

    def audit_entries(self, mode: str | None = None) -> list[dict]:
        return self.audit.audit_entries(mode)

    def verify_audit(self):
        return self.audit.verify_audit()

    def state(self) -> str:
        return f"sharded: {self.manifest.n_items} items in {len(self.manifest.shards)} shards"

    def __len__(self) -> int:
        return self.manifest.n_items

    def close(self) -> None:
        for g in self._open.values():
            g.close()
        self._open.clear()
        self.audit.close()

    # the shards
    def shard(self, name: str) -> Gallery:
        if name not in self._open:
            g = Gallery.open(self.root / name, self.model, read_only=True)
            info = next(s for s in self.manifest.shards if s.name == name)
            check_shard_identity(g, info)
            self._open[name] = g
        return self._open[name]

    @property
    def has_probabilities(self) -> bool:
        return all(self.shard(s.name).has_probabilities for s in self.manifest.shards)

    def _by_shard(self, ids) -> dict[str, list[tuple[int, int, int]]]:
        """``{shard name: [(position in ids, global id, local id)]}``: one query per shard, not per id."""
        groups: dict[str, list[tuple[int, int, int]]] = {}
        for pos, gid in enumerate(ids):
            info, local = self.manifest.locate(int(gid))
            groups.setdefault(info.name, []).append((pos, int(gid), local))
        return groups

    def items(self, ids) -> list[ItemMeta]:
        ids = list(ids)
        out: list[ItemMeta | None] = [None] * len(ids)
        for name, rows in self._by_shard(ids).items():
            for (pos, gid, _), meta in zip(rows, self.shard(name).items([r[2] for r in rows])):
                meta.id = gid
                out[pos] = meta
        return out

    def track_items(self, source: str, track: int) -> list[int]:
        """Global ids of a track's items (a video's tracks stay in the shard that ingested it)."""
        out = []
        for s in self.manifest.shards:
            out += [s.first_id + i for i in self.shard(s.name).track_items(source, track)]
        return out

    def content_digest(self) -> str:
        """SHA-256 over every shard's content digest, in manifest order."""
        h = hashlib.sha256()
        for s in self.manifest.shards:
            h.update(self.shard(s.name).content_digest().encode())
        return h.hexdigest()

    def codes_of(self, ids) -> np.ndarray:
        ids = list(ids)
        out = np.zeros((len(ids), self.layout.nbytes), np.uint8)
        for name, rows in self._by_shard(ids).items():
            out[[r[0] for r in rows]] = self.shard(name).codes_of([r[2] for r in rows])
        return out


def check_shard_identity(g: Gallery, info: ShardInfo) -> None:
    """Refuse a shard folder that is not the gallery the manifest recorded (folders swapped or copied)."""
    from ..search.audit import genesis

    if info.gallery_id and genesis(g.info) != info.gallery_id:
        raise GalleryError(f"shard {info.name} is not the gallery the manifest recorded for it (shard folders "
                           f"swapped, copied or replaced): its ids would point at other people")
