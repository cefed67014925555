"""Writing a gallery: the single-writer lock, batches of new items, finalising derived files."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ...model.calibration import probability_bytes
from .tables import LOCK_NAME, GalleryError, NewItem, is_disk_full


class WriterRoom:
    """Adds items under the writer lock, one SQLite transaction per batch."""

    def _writable(self) -> None:
        if self.read_only:
            raise GalleryError(f"gallery {str(self.root)!r} is read-only; copy it somewhere writable to add items")

    @contextlib.contextmanager
    def writer(self, wait: bool = True, on_wait=None):
        """Hold the gallery's single-writer lock for a whole build, append or re-encode.

        A second writer (another process, or another build in this one) waits for the first
        to finish, calling ``on_wait()`` once, or with ``wait=False`` is refused with a
        GalleryError. The lock is an advisory ``flock`` on ``gallery.lock``, released when the
        holder ends, crash included.
        """
        import fcntl

        self._writable()
        f = open(self.root / LOCK_NAME, "a+")
        try:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not wait:
                    raise GalleryError(f"another build is writing to gallery {str(self.root)!r}; run this one when "
                                       f"it has finished (or without --no-wait to wait for it)") from None
                if on_wait is not None:
                    on_wait()
                fcntl.flock(f, fcntl.LOCK_EX)
            self.refresh_if_changed()  # what the other writer added counts as done from here
            yield self
        finally:
            f.close()

    def add_batch(self, items: list[NewItem], sources: list[tuple[str, str, str, str, str | None, int]],
                  rejected: Sequence[NewItem] = (), restored: Sequence[str] = ()) -> None:
        """Add items and mark sources ``(path, sha256, kind, status, detail, n_items)`` in ONE transaction.

        ``rejected`` crops (those the person filter kept out) are recorded in the same transaction,
        and ``restored`` names rejected crops (as stored) that ``items`` bring back.

        Thumbnails are written first (to temporary names) and renamed after the commit, so
        a failure at any point leaves no row without its files and no half-written file.
        """
        self._writable()
        nbytes = self.layout.nbytes
        start = len(self)
        staged: list[tuple[Path, Path]] = []
        rows = []
        try:
            for j, it in enumerate(items):
                code = np.ascontiguousarray(it.code, dtype=np.uint8)
                if code.shape != (nbytes,):
                    raise GalleryError(f"code of {it.crop!r} has {code.size * 8} bits; the gallery holds "
                                       f"{self.layout.nbits}-bit codes")
                iid = start + j
                thumb = None
                if it.thumb_jpeg is not None:
                    # the name ITEMS_VIEW_SQL derives from the id (store/tables.py): change both together
                    thumb = f"thumbs/{iid // 1000:05d}/{iid:08d}.jpg"
                    final = self.root / thumb
                    final.parent.mkdir(parents=True, exist_ok=True)
                    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")  # never shared between processes
                    tmp.write_bytes(it.thumb_jpeg)
                    staged.append((tmp, final))
                bbox = it.bbox or (None, None, None, None)
                rows.append((iid, it.crop, thumb, it.source, it.source_sha256, it.camera, it.frame, it.timestamp,
                             *bbox, it.track, it.identity, code.tobytes(),
                             probability_bytes(np.asarray(it.attr_scores, np.float32)[None])[0].tobytes()))
            with self.conn:
                if len(self) != start:  # ids were allocated under the writer lock; never reuse one
                    raise GalleryError(f"gallery {str(self.root)!r} changed while a batch was prepared; "
                                       f"nothing of this batch was written")
                self.conn.execute("INSERT INTO info VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                                  "SET value = CAST(value AS INTEGER) + 1")
                self.upgrade_format()
                self.conn.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                self.conn.executemany("INSERT INTO crop_hashes VALUES (?, ?)",
                                      [(start + j, it.crop_sha256) for j, it in enumerate(items) if it.crop_sha256])
                self.conn.executemany("INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?,?,?)",
                                      [(*s, time.time()) for s in sources])
                self.conn.executemany(
                    "INSERT OR REPLACE INTO rejected VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    [(r.crop, r.source, r.source_sha256, r.camera, r.frame, r.timestamp,
                      *(r.bbox or (None, None, None, None)), r.track, np.ascontiguousarray(r.code, np.uint8).tobytes(),
                      probability_bytes(np.asarray(r.attr_scores, np.float32)[None])[0].tobytes(),
                      float(r.person_score if r.person_score is not None else 0.0), r.crop_sha256) for r in rejected])
                self.conn.executemany("DELETE FROM rejected WHERE crop = ?", [(c,) for c in restored])
        except (OSError, sqlite3.Error) as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            reason = "the disk is full" if is_disk_full(exc) else str(exc)
            raise GalleryError(f"could not write to gallery {str(self.root)!r}: {reason}; "
                               f"the gallery keeps its {start} earlier items and the build can be resumed") from None
        except BaseException:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            raise
        for tmp, final in staged:
            os.replace(tmp, final)
        self._codes = self._segments = self._index = self._logits = None
        self._generation = self.generation()

    def upgrade_format(self) -> None:
        """Inside a write transaction that stores compact probability rows: mark a version-1
        gallery as version 2 (its items keep their table; a no-op for any later version)."""
        self.conn.execute("UPDATE info SET value = '2' WHERE key = 'format_version' AND value = '1'")
        if self.info.get("format_version") == "1":
            self.info["format_version"] = "2"

    def finalize(self, ivf: bool | None = None) -> None:
        """Rebuild the derived index and segment files from the database (atomically).

        ``ivf`` forces the index kind; None (the default) picks IVF from ``IVF_THRESHOLD`` items.
        """
        self._writable()
        codes = self._read_codes()
        self._write_derived(codes, ivf)
        self._logits = None
        if self.has_probabilities:
            self._write_logits()
