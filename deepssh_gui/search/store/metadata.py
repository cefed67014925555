"""Reads of a gallery's metadata: item rows, sources, filters, stored probabilities."""

from __future__ import annotations

import hashlib
import sqlite3

import numpy as np

from ...model.calibration import scores_from_blobs
from .tables import PROBABILITY_KINDS, GalleryError, ItemMeta


class MetadataRoom:
    """Item rows and their columns, read from the database (ids are dense: 0..N-1)."""

    def __len__(self) -> int:
        # ids are dense (0..N-1, assigned in add_batch), so MAX(id) is the count; unlike
        # COUNT(*) it is one B-tree lookup, which matters for the per-search audit entry
        return int(self.conn.execute(f"SELECT COALESCE(MAX(id) + 1, 0) FROM {self.item_rows}").fetchone()[0])

    def source_status(self, path: str) -> str | None:
        row = self.conn.execute("SELECT status FROM sources WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def sources(self) -> list[dict]:
        cur = self.conn.execute("SELECT path, sha256, kind, status, detail, n_items FROM sources ORDER BY rowid")
        return [dict(zip(("path", "sha256", "kind", "status", "detail", "n_items"), r)) for r in cur]

    def crop_hashes(self, ids) -> dict[int, str]:
        """``{item id: SHA-256 recorded at ingest}`` for the crops cut at ingest (galleries from
        before this record have none)."""
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        q = f"SELECT id, sha256 FROM crop_hashes WHERE id IN ({','.join('?' * len(ids))})"
        try:
            return dict(self.conn.execute(q, ids).fetchall())
        except sqlite3.OperationalError:  # a read-only gallery from before the table
            return {}

    def items(self, ids) -> list[ItemMeta]:
        ids = [int(i) for i in ids]
        if not ids:
            return []
        q = ("SELECT id, crop, thumb, source, source_sha256, camera, frame, timestamp, x, y, w, h, track, identity "
             f"FROM items WHERE id IN ({','.join('?' * len(ids))})")
        rows = {r[0]: r for r in self.conn.execute(q, ids)}
        missing = [i for i in ids if i not in rows]
        if missing:  # ids are dense: a hole is a deleted row, and another item must never stand in for it
            raise GalleryError(f"gallery {str(self.root)!r} has no row for item {missing[0]}"
                               f"{' (and %d more)' % (len(missing) - 1) if len(missing) > 1 else ''}: the database "
                               f"was edited or damaged; nothing is shown for it")
        out = []
        for i in ids:
            r = rows[i]
            bbox = None if r[8] is None else (r[8], r[9], r[10], r[11])
            out.append(ItemMeta(r[0], self.resolve(r[1]), self.resolve(r[2]), self.resolve(r[3]), r[4], r[5], r[6],
                                r[7], bbox, r[12], r[13]))
        return out

    @property
    def probability_kind(self) -> str:
        """``calibrated``, ``uncalibrated``, or ``bits`` for galleries built before probabilities were kept."""
        return self.info.get("attr_scores", "bits")

    @property
    def has_probabilities(self) -> bool:
        return self.probability_kind in PROBABILITY_KINDS

    def _blobs(self, column: str, ids, dtype, width: int) -> np.ndarray:
        """``(len(ids), width)`` array of one BLOB column of the items at ``ids``, in that order."""
        ids = [int(i) for i in ids]
        if not ids:
            return np.zeros((0, width), dtype)
        rows = dict(self.conn.execute(
            f"SELECT id, {column} FROM {self.item_rows} WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
        return np.stack([np.frombuffer(rows[i], dtype=dtype) for i in ids])

    def codes_of(self, ids) -> np.ndarray:
        """``uint8 (len(ids), nbytes)`` codes as stored in the database (the source of truth)."""
        return self._blobs("code", ids, np.uint8, self.layout.nbytes)

    def attr_scores(self, ids) -> np.ndarray:
        """``float32 (len(ids), A)`` stored attribute probabilities (from one logit byte each; float32
        rows of older galleries as they are)."""
        ids = [int(i) for i in ids]
        if not ids:
            return np.zeros((0, self.layout.n_attrs), np.float32)
        rows = dict(self.conn.execute(
            f"SELECT id, attr_scores FROM {self.item_rows} WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
        try:
            return scores_from_blobs([rows[i] for i in ids], self.layout.n_attrs)
        except ValueError as exc:
            raise GalleryError(f"gallery {str(self.root)!r}: {exc}; the database was edited or damaged") from None

    def filter_ids(self, camera: str | None = None, t_from: float | None = None, t_to: float | None = None
                   ) -> np.ndarray | None:
        """``int64 (M,)`` ids passing the filters, or None when there is no filter."""
        where, args = [], []
        if camera:
            where.append("camera = ?")
            args.append(camera)
        if t_from is not None:
            where.append("timestamp >= ?")
            args.append(t_from)
        if t_to is not None:
            where.append("timestamp <= ?")
            args.append(t_to)
        if not where:
            return None
        cur = self.conn.execute(f"SELECT id FROM items WHERE {' AND '.join(where)} ORDER BY id", args)
        return np.fromiter((r[0] for r in cur), dtype=np.int64)

    def content_digest(self) -> str:
        """SHA-256 over the codes and source hashes: identifies the searchable content."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.codes).tobytes())
        for (sha,) in self.conn.execute("SELECT source_sha256 FROM items ORDER BY id"):
            h.update(sha.encode())
        return h.hexdigest()

    def track_items(self, source: str, track: int) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM items WHERE source = ? AND track = ? ORDER BY id", (self.rel(source), track))]
