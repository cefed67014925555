"""Re-checking the files an evidence report embeds, at the moment it is exported.

Each hit's source (video or image) is hashed again and compared with the SHA-256 recorded
when it was ingested; each crop is hashed so that a second party can check it later. A
changed or missing file is never reported as if it were the original.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .gallery import ItemMeta, sha256_file


@dataclass(frozen=True)
class FileCheck:
    path: str
    recorded: str | None  # the SHA-256 stored at ingest (None: nothing was recorded)
    actual: str | None  # the SHA-256 now (None: the file is missing or unreadable)

    @property
    def status(self) -> str:
        if self.actual is None:
            return "MISSING"
        if self.recorded is None:
            return "hashed at export"
        return "matches" if self.actual == self.recorded else "MISMATCH"

    @property
    def ok(self) -> bool:
        return self.status in ("matches", "hashed at export")


def _hash(path: str, cache: dict[str, str | None]) -> str | None:
    if path not in cache:
        try:
            cache[path] = sha256_file(path) if os.path.isfile(path) else None
        except OSError:
            cache[path] = None
    return cache[path]


def check_files(metas: list[ItemMeta]) -> dict[int, tuple[FileCheck, FileCheck]]:
    """``{item id: (source check, crop check)}``; each distinct file is hashed once."""
    cache: dict[str, str | None] = {}
    out = {}
    for m in metas:
        src = FileCheck(m.source, m.source_sha256, _hash(m.source, cache))
        crop_recorded = m.source_sha256 if m.crop == m.source else None  # a folder crop is its own source
        out[m.id] = (src, FileCheck(m.crop, crop_recorded, _hash(m.crop, cache)))
    return out
