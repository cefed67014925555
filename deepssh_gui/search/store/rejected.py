"""Crops the person filter kept out of a gallery's index: listed for review, restorable."""

from __future__ import annotations

import sqlite3

import numpy as np

from ...model.calibration import scores_from_blobs
from .tables import NewItem, RejectedCrop

_COLS = "crop, source, source_sha256, camera, frame, timestamp, x, y, w, h, track, code, attr_scores, person_score, crop_sha256"


class RejectedRoom:
    """The ``rejected`` table (ingest writes it with each batch; ``ingest.build.restore_rejected``
    brings crops back as items)."""

    def rejected_crops(self) -> list[RejectedCrop]:
        """Every rejected crop, in source and frame order (galleries from before the table: none)."""
        try:
            rows = self.conn.execute("SELECT crop, source, camera, frame, timestamp, x, y, w, h, track, person_score "
                                     "FROM rejected ORDER BY source, frame, crop").fetchall()
        except sqlite3.OperationalError:  # a read-only gallery from before the table
            return []
        return [RejectedCrop(r[0], r[1], r[2], r[3], r[4], None if r[5] is None else (r[5], r[6], r[7], r[8]),
                             r[9], float(r[10])) for r in rows]

    def rejected_items(self, crops: list[str]) -> list[NewItem]:
        """The rejected ``crops`` (as stored) as items ready to add (no thumbnails); KeyError names
        one that is not in the table."""
        out = []
        for c in crops:
            r = self.conn.execute(f"SELECT {_COLS} FROM rejected WHERE crop = ?", (c,)).fetchone()
            if r is None:
                raise KeyError(c)
            out.append(NewItem(crop=r[0], source=r[1], source_sha256=r[2], camera=r[3], frame=r[4], timestamp=r[5],
                               bbox=None if r[6] is None else (r[6], r[7], r[8], r[9]), track=r[10],
                               code=np.frombuffer(r[11], np.uint8), attr_scores=scores_from_blobs([r[12]],
                               self.layout.n_attrs)[0], person_score=float(r[13]), crop_sha256=r[14]))
        return out
