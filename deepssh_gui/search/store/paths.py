"""Where a gallery's stored paths may point: the gallery folder and its recorded source folders."""

from __future__ import annotations

import os
import sqlite3
import time

from .tables import GalleryError

# resolving a stored path (join, normalise, compare with each root) cost about 7 us, three per
# hit: 0.4 ms of a 20-hit search (issue #24); resolved paths are remembered, this many at most
RESOLVED_CACHE = 65536


class PathsRoom:
    """Stored paths: relative to the gallery, resolved only inside it or a recorded source folder."""

    def _load_roots(self) -> list[str]:
        """The gallery folder and its recorded source folders (older galleries: their sources' folders,
        recorded on first opening, and said so)."""
        try:  # stored like every path: relative to the gallery, so gallery and footage can move together
            roots = [self._join(r[0]) for r in self.conn.execute("SELECT path FROM roots")]
        except sqlite3.Error:  # a read-only gallery from before the table existed
            roots = []
        if not roots and len(self):
            dirs = sorted({os.path.dirname(self._join(r[0])) for r in self.conn.execute("SELECT path FROM sources")})
            roots = dirs
            if not self.read_only:
                with self.conn:
                    self.conn.executemany("INSERT OR IGNORE INTO roots VALUES (?, ?)",
                                          [(self.rel(d), time.time()) for d in dirs])
                self.repairs.append(f"this gallery predates recorded source folders: the {len(dirs)} folders of its "
                                    f"sources were recorded as the only places its files may be")
        return [self._root_abs] + roots

    def _check_stored_paths(self) -> None:
        """Refuse on opening a gallery whose metadata points outside it and its source folders.

        Sources are few and each is resolved against the recorded folders; thumbnails must lie in
        ``thumbs/`` and crops either be their own source (folder galleries) or lie in ``crops/``,
        checked by one SQL pass (no file system access per item).
        """
        for (src,) in self.conn.execute("SELECT DISTINCT source FROM items"):
            self.resolve(src)
        # a recorded folder such as ".." admits its siblings: every item's source must also be one
        # that was ingested (a row of `sources`), so an edited source path is refused
        # (galleries from before the sources table have no rows in it: they are not checked)
        stray = self.conn.execute("SELECT id, source FROM items WHERE EXISTS (SELECT 1 FROM sources) AND source NOT IN "
                                  "(SELECT path FROM sources) LIMIT 1").fetchone()
        if stray:
            raise GalleryError(f"gallery {str(self.root)!r}: item {stray[0]} names the source {stray[1]!r}, which was "
                               f"never ingested into it; refused (the metadata was edited or is damaged)")
        bad = self.conn.execute(
            "SELECT id FROM items WHERE (thumb IS NOT NULL AND (thumb NOT LIKE 'thumbs/%' OR thumb LIKE '%..%')) "
            "OR (crop != source AND (crop NOT LIKE 'crops/%' OR crop LIKE '%..%')) LIMIT 1").fetchone()
        if bad:
            raise GalleryError(f"gallery {str(self.root)!r}: item {bad[0]} names a file outside the gallery; "
                               f"refused (the metadata was edited or is damaged)")

    @property
    def source_roots(self) -> list[str]:
        """The recorded folders, besides the gallery's own, that its stored paths may point into."""
        return self._roots[1:]

    def add_root(self, folder: str | os.PathLike) -> None:
        """Record a folder that stored paths may point into (an input folder, a video's folder)."""
        self._writable()
        d = os.path.abspath(folder)
        with self.conn:
            self.conn.execute("INSERT OR IGNORE INTO roots VALUES (?, ?)", (self.rel(d), time.time()))
        if d not in self._roots:
            self._roots.append(d)

    def _join(self, stored: str) -> str:
        return os.path.normpath(stored if os.path.isabs(stored) else os.path.join(self._root_abs, stored))

    def rel(self, path: str | os.PathLike) -> str:
        """How a file path is stored: relative to the gallery folder (so a gallery can move
        together with its footage), absolute when on another drive."""
        p = os.path.abspath(path)
        try:
            return os.path.relpath(p, self._root_abs)
        except ValueError:
            return p

    def resolve(self, stored: str | None) -> str | None:
        """The usable path of a stored (possibly relative) path.

        It must lie inside the gallery folder or a recorded source folder: metadata edited to
        point elsewhere (a private photo, a system file) is refused, never opened or embedded.
        """
        if stored is None:
            return None
        cache = self.__dict__.setdefault("_resolved", {})
        hit = cache.get(stored)
        if hit is not None:  # roots are only ever added, so a path once inside stays inside
            return hit
        p = self._join(stored)
        if not any(p == r or p.startswith(r.rstrip(os.sep) + os.sep) for r in self._roots):
            raise GalleryError(f"gallery {str(self.root)!r} names the file {p!r}, outside the gallery and its "
                               f"recorded source folders; refused (the metadata was edited or is damaged)")
        if len(cache) >= RESOLVED_CACHE:  # bounded: a long session shows many items
            cache.clear()
        cache[stored] = p
        return p
