"""A gallery's file names, SQL tables, row dataclasses and hashing helpers."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass

import numpy as np

from ...common.errors import DeepSSHError

# 2 (issue #24): probability rows hold one logit byte per attribute, not float32. A version-1
# gallery is read as it is and becomes version 2 with its first compact row, so that an older
# DeepSSH refuses it by its version instead of misreading the rows.
# 3 (issue #24): items name their source by id (ITEMS_VIEW_SQL). Galleries of versions 1 and 2
# keep their items table (ITEMS_TABLE_SQL) and are read and written as they are.
GALLERY_FORMAT_VERSION = 3
READABLE_FORMAT_VERSIONS = ("1", "2", "3")
IVF_NPROBE = 128  # recall@20 0.995 on clustered codes at 5M; 32 gave 0.845 (docs/gallery.md, "IVF for huge galleries")
CODES_NAME = "codes.npy"
DB_NAME = "gallery.sqlite"
INDEX_NAME = "index.faiss"
SEGMENTS_NAME = "attr_columns.npy"
LOGITS_NAME = "attr_logits.npy"
# how long a writer waits for another process's transaction before giving up (audit rows
# included: a search whose row cannot be written fails rather than go unrecorded)
BUSY_TIMEOUT_S = 30.0
LOCK_NAME = "gallery.lock"
# What items.attr_scores holds: "calibrated" / "uncalibrated" classifier probabilities, or (in
# galleries built before this version, which lack the key) "bits": scores read from the code.
PROBABILITY_KINDS = ("calibrated", "uncalibrated")

SCHEMA_COMMON_SQL = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time TEXT NOT NULL, origin TEXT NOT NULL, mode TEXT NOT NULL, query TEXT NOT NULL,
    probe_sha256 TEXT, filters TEXT, model_hash TEXT NOT NULL, gallery_state TEXT NOT NULL,
    result_ids TEXT NOT NULL,
    examiner TEXT, host TEXT, tool_version TEXT,
    prev_hash TEXT, row_hash TEXT        -- the hash chain (search/audit.py)
);
-- the audit log is append-only: the database itself refuses edits and deletions
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- the SHA-256 of each crop file cut at ingest (video crops; a folder crop is its own source)
CREATE TABLE IF NOT EXISTS crop_hashes (id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL);
-- folders the gallery's stored paths may point into besides its own (input folders, video folders)
CREATE TABLE IF NOT EXISTS roots (path TEXT PRIMARY KEY, added REAL);
-- crops the person filter kept out of the index (model/person.py): reviewable, restorable as items
CREATE TABLE IF NOT EXISTS rejected (
    crop TEXT PRIMARY KEY, source TEXT NOT NULL, source_sha256 TEXT NOT NULL,
    camera TEXT, frame INTEGER, timestamp REAL, x INTEGER, y INTEGER, w INTEGER, h INTEGER, track INTEGER,
    code BLOB NOT NULL, attr_scores BLOB NOT NULL, person_score REAL NOT NULL, crop_sha256 TEXT
);
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, sha256 TEXT, kind TEXT, status TEXT NOT NULL,
    detail TEXT, n_items INTEGER, added REAL
);
"""


# Items of format versions 1 and 2: one table, each row naming its source's path and SHA-256.
ITEMS_TABLE_SQL = """
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY,            -- 0-based row in the index
    crop TEXT NOT NULL,                -- image file of the crop
    thumb TEXT,                        -- thumbnail, relative to the gallery
    source TEXT NOT NULL,              -- image or video the crop came from
    source_sha256 TEXT NOT NULL,
    camera TEXT, frame INTEGER, timestamp REAL,
    x INTEGER, y INTEGER, w INTEGER, h INTEGER,
    track INTEGER, identity TEXT,
    code BLOB NOT NULL,                -- uint8 (nbits // 8,)
    attr_scores BLOB NOT NULL          -- uint8 (A,) logit bytes (model/calibration.py); float32 (A,) before issue #24
);
CREATE INDEX IF NOT EXISTS items_camera ON items(camera);
CREATE INDEX IF NOT EXISTS items_time ON items(timestamp);
CREATE INDEX IF NOT EXISTS items_track ON items(source, track);
"""

# Items of format version 3 (issue #24: 306 -> under 200 bytes per item at 10^6): each row names
# where it comes from by a small id (``item_sources``: one row per source file, content and
# camera), a crop that is its own source (a folder gallery) stores no second copy of the path,
# and a thumbnail with the name the writer gives it (``thumbs/{id // 1000:05d}/{id:08d}.jpg``,
# store/writer.py) is stored as 1. ``items`` is a view with the columns of the older table, so
# every reader, and every writer through the triggers, is unchanged.
ITEMS_VIEW_SQL = """
CREATE TABLE IF NOT EXISTS item_sources (
    id INTEGER PRIMARY KEY, path TEXT NOT NULL, sha256 TEXT NOT NULL, camera TEXT
);
CREATE INDEX IF NOT EXISTS item_sources_path ON item_sources(path);
CREATE INDEX IF NOT EXISTS item_sources_camera ON item_sources(camera);
CREATE TABLE IF NOT EXISTS item_rows (
    id INTEGER PRIMARY KEY,            -- 0-based row in the index
    crop TEXT,                         -- image file of the crop; NULL: the source itself
    thumb TEXT,                        -- thumbnail, relative to the gallery; 1: the name add_batch gives it
    source_id INTEGER NOT NULL,        -- item_sources.id: file, content and camera the crop came from
    frame INTEGER, timestamp REAL,
    x INTEGER, y INTEGER, w INTEGER, h INTEGER,
    track INTEGER, identity TEXT,
    code BLOB NOT NULL,                -- uint8 (nbits // 8,)
    attr_scores BLOB NOT NULL          -- uint8 (A,) logit bytes (model/calibration.py)
);
CREATE INDEX IF NOT EXISTS item_rows_time ON item_rows(timestamp);
CREATE INDEX IF NOT EXISTS item_rows_track ON item_rows(source_id, track);
CREATE VIEW IF NOT EXISTS items AS
    SELECT r.id AS id, COALESCE(r.crop, s.path) AS crop,
           CASE WHEN r.thumb = 1 THEN printf('thumbs/%05d/%08d.jpg', r.id / 1000, r.id) ELSE r.thumb END AS thumb,
           s.path AS source, s.sha256 AS source_sha256, s.camera AS camera, r.frame AS frame,
           r.timestamp AS timestamp, r.x AS x, r.y AS y, r.w AS w, r.h AS h, r.track AS track,
           r.identity AS identity, r.code AS code, r.attr_scores AS attr_scores
    FROM item_rows r JOIN item_sources s ON s.id = r.source_id;
CREATE TRIGGER IF NOT EXISTS items_insert INSTEAD OF INSERT ON items BEGIN
    INSERT INTO item_sources (path, sha256, camera) SELECT NEW.source, NEW.source_sha256, NEW.camera
        WHERE NOT EXISTS (SELECT 1 FROM item_sources WHERE path IS NEW.source AND sha256 IS NEW.source_sha256
                          AND camera IS NEW.camera);
    INSERT INTO item_rows VALUES (NEW.id, NULLIF(NEW.crop, NEW.source),
        CASE WHEN NEW.thumb = printf('thumbs/%05d/%08d.jpg', NEW.id / 1000, NEW.id) THEN 1 ELSE NEW.thumb END,
        (SELECT id FROM item_sources WHERE path IS NEW.source AND sha256 IS NEW.source_sha256
         AND camera IS NEW.camera),
        NEW.frame, NEW.timestamp, NEW.x, NEW.y, NEW.w, NEW.h, NEW.track, NEW.identity, NEW.code, NEW.attr_scores);
END;
CREATE TRIGGER IF NOT EXISTS items_update INSTEAD OF UPDATE ON items BEGIN
    INSERT INTO item_sources (path, sha256, camera) SELECT NEW.source, NEW.source_sha256, NEW.camera
        WHERE NOT EXISTS (SELECT 1 FROM item_sources WHERE path IS NEW.source AND sha256 IS NEW.source_sha256
                          AND camera IS NEW.camera);
    UPDATE item_rows SET id = NEW.id, crop = NULLIF(NEW.crop, NEW.source),
        thumb = CASE WHEN NEW.thumb = printf('thumbs/%05d/%08d.jpg', NEW.id / 1000, NEW.id) THEN 1 ELSE NEW.thumb END,
        source_id = (SELECT id FROM item_sources WHERE path IS NEW.source AND sha256 IS NEW.source_sha256
                     AND camera IS NEW.camera),
        frame = NEW.frame, timestamp = NEW.timestamp, x = NEW.x, y = NEW.y, w = NEW.w, h = NEW.h,
        track = NEW.track, identity = NEW.identity, code = NEW.code, attr_scores = NEW.attr_scores
        WHERE id = OLD.id;
END;
CREATE TRIGGER IF NOT EXISTS items_delete INSTEAD OF DELETE ON items BEGIN
    DELETE FROM item_rows WHERE id = OLD.id;
END;
"""

# a new gallery's database
_SCHEMA_SQL = SCHEMA_COMMON_SQL + ITEMS_VIEW_SQL


def items_is_table(conn: sqlite3.Connection) -> bool:
    """Whether this database keeps its items in the one table of versions 1-2 (else the view of 3)."""
    row = conn.execute("SELECT type FROM sqlite_master WHERE name = 'items'").fetchone()
    return row is not None and row[0] == "table"


def items_sql(conn: sqlite3.Connection) -> str:
    """The items part of the schema that this database already has (a view since version 3)."""
    return ITEMS_TABLE_SQL if items_is_table(conn) else ITEMS_VIEW_SQL


class GalleryError(DeepSSHError):
    """A gallery is missing, damaged, read-only, or belongs to another model."""


@dataclass
class ItemMeta:
    id: int
    crop: str
    thumb: str | None
    source: str
    source_sha256: str
    camera: str | None
    frame: int | None
    timestamp: float | None
    bbox: tuple[int, int, int, int] | None
    track: int | None
    identity: str | None


@dataclass
class NewItem:
    """One crop to add: its code ``uint8 (nbytes,)`` and probabilities ``float32 (A,)`` (stored as one
    logit byte each)."""

    crop: str
    source: str
    source_sha256: str
    code: np.ndarray
    attr_scores: np.ndarray
    thumb_jpeg: bytes | None = None
    camera: str | None = None
    frame: int | None = None
    timestamp: float | None = None
    bbox: tuple[int, int, int, int] | None = None
    track: int | None = None
    identity: str | None = None
    crop_sha256: str | None = None  # a crop cut at ingest (video): its file's hash, checked at export
    person_score: float | None = None  # the person filter's score, where one was computed


@dataclass
class RejectedCrop:
    """A crop the person filter kept out of the index."""

    crop: str  # as stored (relative to the gallery)
    source: str
    camera: str | None
    frame: int | None
    timestamp: float | None
    bbox: tuple[int, int, int, int] | None
    track: int | None
    person_score: float


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def derived_digest(model) -> str:
    """SHA-256 over a model's decoder and calibration, which its hash leaves out (issue #21)."""
    dec = getattr(model, "decoder", None)
    cal = getattr(model, "calibration", None)
    h = hashlib.sha256(b"deepssh-derived-v1|")
    h.update((dec.digest() if dec is not None else "none").encode())
    h.update(json.dumps(cal.to_dict() if cal is not None else None, sort_keys=True, default=str).encode())
    return h.hexdigest()



def is_disk_full(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return isinstance(exc, sqlite3.Error) and "full" in str(exc).lower()
