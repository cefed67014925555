"""The manifest of a sharded gallery: ``shards.json`` beside the shard galleries.

A sharded gallery is a directory holding ``shards.json``, one ordinary gallery per shard
(``shard-0000/`` ...), and ``audit/``: an item-less gallery whose hash-chained log records every
search of the whole set (one writer: the client). Global item ids are ``first_id + local id``,
shards in manifest order, so the global order of ids is the order of (shard, local id).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..common.atomic import atomic_write_text
from ..search.gallery import GalleryError

MANIFEST_NAME = "shards.json"
AUDIT_DIR = "audit"
FORMAT = "deepssh-sharded-gallery"
FORMAT_VERSION = 1


@dataclass
class ShardInfo:
    name: str  # folder inside the sharded gallery
    n_items: int
    first_id: int  # global id of the shard's item 0
    source: str = ""  # what the shard was built from (a video, a chunk list, a split gallery)
    complete: bool = True  # False while a distributed build still writes it
    gallery_id: str = ""  # the shard gallery's identity (its audit genesis); "" in manifests written before it


@dataclass
class ShardManifest:
    model_hash: str
    model_name: str
    nbits: int
    shards: list[ShardInfo] = field(default_factory=list)
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S%z"))

    @property
    def n_items(self) -> int:
        return sum(s.n_items for s in self.shards)

    def renumber(self) -> None:
        """Assign ``first_id`` in manifest order (after shards were added or grew)."""
        at = 0
        for s in self.shards:
            s.first_id = at
            at += s.n_items

    def locate(self, global_id: int) -> tuple[ShardInfo, int]:
        """``(shard, local id)`` of a global id."""
        for s in self.shards:
            if s.first_id <= global_id < s.first_id + s.n_items:
                return s, global_id - s.first_id
        raise GalleryError(f"item {global_id} is not in this sharded gallery ({self.n_items} items)")

    def to_json(self) -> str:
        d = {"format": FORMAT, "format_version": FORMAT_VERSION, **asdict(self), "n_items": self.n_items}
        return json.dumps(d, indent=1, sort_keys=True)


def is_sharded(path: str | os.PathLike) -> bool:
    return (Path(path) / MANIFEST_NAME).is_file()


def read_manifest(root: str | os.PathLike) -> ShardManifest:
    path = Path(root) / MANIFEST_NAME
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GalleryError(f"{str(root)!r} is not a sharded gallery (no {MANIFEST_NAME})") from None
    except (OSError, ValueError) as exc:
        raise GalleryError(f"the shard manifest {str(path)!r} cannot be read: {exc}") from None
    if not isinstance(d, dict) or d.get("format") != FORMAT:
        raise GalleryError(f"{str(path)!r} is not a DeepSSH shard manifest")
    if d.get("format_version") != FORMAT_VERSION:
        raise GalleryError(f"{str(path)!r} has manifest version {d.get('format_version')}; this DeepSSH reads "
                           f"version {FORMAT_VERSION}")
    try:
        shards = [ShardInfo(str(s["name"]), int(s["n_items"]), int(s["first_id"]), str(s.get("source", "")),
                            bool(s.get("complete", True)), str(s.get("gallery_id", ""))) for s in d["shards"]]
        m = ShardManifest(str(d["model_hash"]), str(d["model_name"]), int(d["nbits"]), shards, str(d["created"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise GalleryError(f"the shard manifest {str(path)!r} is incomplete: {exc}") from None
    for s in m.shards:  # shard names are folders inside the gallery, never paths elsewhere
        if not s.name or s.name != Path(s.name).name or s.name in (".", ".."):
            raise GalleryError(f"the shard manifest {str(path)!r} names a shard outside the gallery: {s.name!r}")
    names = [s.name for s in m.shards]
    if len(set(names)) != len(names):
        raise GalleryError(f"the shard manifest {str(path)!r} lists a shard twice")
    if all(s.complete for s in m.shards):  # global ids must tile 0..N-1 in manifest order, or hits get others' ids
        at = 0
        for s in m.shards:
            if s.first_id != at or s.n_items < 0:
                raise GalleryError(f"the shard manifest {str(path)!r} is inconsistent: {s.name} starts at id "
                                   f"{s.first_id}, but the shards before it end at {at - 1} (ids would repeat or skip)")
            at += s.n_items
    return m


def write_manifest(root: str | os.PathLike, manifest: ShardManifest) -> None:
    atomic_write_text(Path(root) / MANIFEST_NAME, manifest.to_json() + "\n")
