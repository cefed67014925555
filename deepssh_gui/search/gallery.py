"""A gallery: the searchable, self-describing store of encoded crops.

A gallery is a directory::

    gallery.sqlite   metadata (items, sources, info) - the source of truth, codes included
    index.faiss      FAISS binary index of the codes (derived, rebuilt when stale)
    attr_columns.npy uint8 (n_attr_bytes, N): the code bytes holding attribute bits, column-major (derived)
    attr_logits.npy  uint8 (A, N): each crop's calibrated attribute logits, one byte each, column-major
                     (derived from the stored probabilities; see model/calibration.py)
    thumbs/          one JPEG thumbnail per item
    crops/           crops cut from video (folder crops are referenced where they are)

Writes go through SQLite transactions, one per batch, so an interrupted build (Ctrl-C,
crash, full disk) leaves every finished batch and nothing half-written; running the same
build again resumes with the sources not yet done. Derived files are written atomically
after the database, which records their SHA-256: a stale, damaged or unrecorded one is
rebuilt from the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import __version__
from ..common.atomic import atomic_write_bytes
from ..model.decoder import AttributeColumns
from ..common.errors import DeepSSHError
from ..model.layout import CodeLayout
from ..model.schema import AttributeSchema
from . import audit

GALLERY_FORMAT_VERSION = 1
# Above this many items the gallery uses a FAISS IndexBinaryIVF (approximate, sub-linear)
# instead of IndexBinaryFlat; `deepssh bench --ivf` reports its recall against flat.
IVF_THRESHOLD = int(os.environ.get("DEEPSSH_IVF_THRESHOLD", 5_000_000))
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

_SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
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
    attr_scores BLOB NOT NULL          -- float32 (A,)
);
CREATE INDEX IF NOT EXISTS items_camera ON items(camera);
CREATE INDEX IF NOT EXISTS items_time ON items(timestamp);
CREATE INDEX IF NOT EXISTS items_track ON items(source, track);
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
CREATE TABLE IF NOT EXISTS sources (
    path TEXT PRIMARY KEY, sha256 TEXT, kind TEXT, status TEXT NOT NULL,
    detail TEXT, n_items INTEGER, added REAL
);
"""


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
    """One crop to add: its code ``uint8 (nbytes,)`` and scores ``float32 (A,)``."""

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


class Gallery:
    """Open with :meth:`open` (existing) or :meth:`create` (new); close when done."""

    def __init__(self, root: Path, conn: sqlite3.Connection, info: dict, read_only: bool) -> None:
        import threading

        self.root = root
        self.conn = conn
        # one audit append at a time per gallery object: two GUI jobs (two marks in quick succession)
        # share this connection, and a second BEGIN inside the first transaction would fail
        self._audit_lock = threading.Lock()
        self.info = info
        self.read_only = read_only
        self.layout = CodeLayout(int(info["nbits"]), int(info["n_attrs"]), int(info["bits_per_attr"]))
        self.schema = AttributeSchema.from_dict(json.loads(info["schema"]))
        self._codes: np.ndarray | None = None
        self._segments: np.ndarray | None = None
        self._logits: np.ndarray | None = None
        self._index = None
        self._generation = self.generation()
        self.repairs: list[str] = []  # derived files found damaged and rebuilt (reported once by the engine)
        self._root_abs = os.path.realpath(root)  # once: resolving per stored path cost lstat calls each
        self._roots = self._load_roots()

    # ------------------------------------------------------------------ opening

    @classmethod
    def create(cls, root: str | os.PathLike, model) -> "Gallery":
        """Create a gallery for ``model`` (a LoadedModel), or reopen it if it already is one."""
        root = Path(root)
        if (root / DB_NAME).exists():
            return cls.open(root, model)
        info = {
            "format_version": str(GALLERY_FORMAT_VERSION), "package_version": __version__,
            "model_hash": model.hash, "model_name": model.name, "nbits": str(model.config.nbits),
            "n_attrs": str(model.config.n_attrs), "bits_per_attr": str(model.config.bits_per_attr),
            "attr_step": str(model.config.attr_step), "schema": json.dumps(model.schema.to_dict()),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            # two galleries made in the same second by one model must still differ (audit genesis,
            # session and shard binding): a random identity
            "uid": secrets.token_hex(16),
            # what the hash leaves out but the stored explanations and probabilities depend on
            "derived_digest": derived_digest(model),
            "attr_scores": "calibrated" if getattr(model, "calibration", None) is not None else "uncalibrated",
        }
        # The database is made complete under a private name and then linked into place, which
        # fails if another process got there first: a second build never sees a half-made gallery.
        tmp = root / f".{DB_NAME}.{os.getpid()}.tmp"
        try:
            root.mkdir(parents=True, exist_ok=True)
            (root / "thumbs").mkdir(exist_ok=True)
            tmp.unlink(missing_ok=True)
            conn = sqlite3.connect(tmp)
            with conn:
                conn.executescript(_SCHEMA_SQL)
                conn.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)", info.items())
            conn.close()
            try:
                os.link(tmp, root / DB_NAME)
            except FileExistsError:
                pass  # another process created it meanwhile: open theirs
        except OSError as exc:
            raise GalleryError(f"cannot create gallery {str(root)!r}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise GalleryError(f"cannot create gallery {str(root)!r}: {exc}") from None
        finally:
            tmp.unlink(missing_ok=True)
        return cls.open(root, model)

    @classmethod
    def open(cls, root: str | os.PathLike, model=None, read_only: bool = False) -> "Gallery":
        """Open an existing gallery; refuse one built by another model or code length."""
        root = Path(root)
        db = root / DB_NAME
        if not db.is_file():
            raise GalleryError(f"{str(root)!r} is not a DeepSSH gallery (no {DB_NAME})")
        ro = read_only or not os.access(root, os.W_OK) or not os.access(db, os.W_OK)
        try:
            conn, info = _connect(db, ro)
        except sqlite3.Error as exc:
            raise GalleryError(f"gallery database {str(db)!r} is damaged or not SQLite: {exc}") from None
        ver = info.get("format_version")
        if ver != str(GALLERY_FORMAT_VERSION):
            conn.close()
            raise GalleryError(f"gallery {str(root)!r} has format version {ver}; this DeepSSH ({__version__}) "
                               f"reads version {GALLERY_FORMAT_VERSION}")
        repaired: list[str] = []
        if not ro:
            try:
                # dropped append-only triggers are re-created below, but never silently: the repair
                # is itself written into the audit chain, and `deepssh audit --verify` shows it
                present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
                has_rows = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'audit'").fetchone() and \
                    conn.execute("SELECT 1 FROM audit LIMIT 1").fetchone()
                repaired = [t for t in audit.TRIGGERS if t not in present] if has_rows else []
                with conn:
                    conn.executescript(_SCHEMA_SQL)  # adds tables/triggers that newer versions introduced
                    cols = {r[1] for r in conn.execute("PRAGMA table_info(audit)")}
                    for c in audit.NEW_COLUMNS:
                        if c not in cols:
                            conn.execute(f"ALTER TABLE audit ADD COLUMN {c} TEXT")
            except sqlite3.Error:
                pass
        if model is not None:
            if int(info["nbits"]) != model.config.nbits:
                conn.close()
                raise GalleryError(f"gallery {str(root)!r} holds {info['nbits']}-bit codes from model "
                                   f"{info['model_name']} ({info['model_hash'][:12]}); the loaded model "
                                   f"{model.name} makes {model.config.nbits}-bit codes")
            # an upgraded model file (ONNX graph added) lists the hashes its weights had before
            if info["model_hash"] != model.hash and info["model_hash"] not in model.meta.get("previous_hashes", []):
                conn.close()
                raise GalleryError(f"gallery {str(root)!r} was built by model {info['model_name']} "
                                   f"(hash {info['model_hash'][:12]}), not by {model.name} "
                                   f"(hash {model.hash[:12]}); open it with that model or rebuild it")
            if info.get("derived_digest") and info["derived_digest"] != derived_digest(model):
                conn.close()
                raise GalleryError(f"the model file {model.name} has another decoder or calibration than the one "
                                   f"gallery {str(root)!r} was built with (same weights): the bits' meanings or the "
                                   f"stored probabilities would be read wrongly. Use the model file the gallery "
                                   f"was built with, or rebuild the gallery")
        g = cls(root, conn, info, read_only=ro)
        try:
            g._check_stored_paths()
        except GalleryError:
            conn.close()
            raise
        if repaired:
            g.append_audit("deepssh", "integrity", f"append-only triggers {', '.join(repaired)} were missing on "
                           f"opening and were re-created", None, "{}", info.get("model_hash", ""), [])
        return g

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Gallery":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ paths

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
        p = self._join(stored)
        if not any(p == r or p.startswith(r.rstrip(os.sep) + os.sep) for r in self._roots):
            raise GalleryError(f"gallery {str(self.root)!r} names the file {p!r}, outside the gallery and its "
                               f"recorded source folders; refused (the metadata was edited or is damaged)")
        return p

    # ------------------------------------------------------------------ size and sources

    def __len__(self) -> int:
        # ids are dense (0..N-1, assigned in add_batch), so MAX(id) is the count; unlike
        # COUNT(*) it is one B-tree lookup, which matters for the per-search audit entry
        return int(self.conn.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM items").fetchone()[0])

    def source_status(self, path: str) -> str | None:
        row = self.conn.execute("SELECT status FROM sources WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    def sources(self) -> list[dict]:
        cur = self.conn.execute("SELECT path, sha256, kind, status, detail, n_items FROM sources ORDER BY rowid")
        return [dict(zip(("path", "sha256", "kind", "status", "detail", "n_items"), r)) for r in cur]

    # ------------------------------------------------------------------ writing

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

    def add_batch(self, items: list[NewItem], sources: list[tuple[str, str, str, str, str | None, int]]) -> None:
        """Add items and mark sources ``(path, sha256, kind, status, detail, n_items)`` in ONE transaction.

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
                    thumb = f"thumbs/{iid // 1000:05d}/{iid:08d}.jpg"
                    final = self.root / thumb
                    final.parent.mkdir(parents=True, exist_ok=True)
                    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")  # never shared between processes
                    tmp.write_bytes(it.thumb_jpeg)
                    staged.append((tmp, final))
                bbox = it.bbox or (None, None, None, None)
                rows.append((iid, it.crop, thumb, it.source, it.source_sha256, it.camera, it.frame, it.timestamp,
                             *bbox, it.track, it.identity, code.tobytes(),
                             np.asarray(it.attr_scores, dtype=np.float32).tobytes()))
            with self.conn:
                if len(self) != start:  # ids were allocated under the writer lock; never reuse one
                    raise GalleryError(f"gallery {str(self.root)!r} changed while a batch was prepared; "
                                       f"nothing of this batch was written")
                self.conn.execute("INSERT INTO info VALUES ('generation', '1') ON CONFLICT(key) DO UPDATE "
                                  "SET value = CAST(value AS INTEGER) + 1")
                self.conn.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
                self.conn.executemany("INSERT INTO crop_hashes VALUES (?, ?)",
                                      [(start + j, it.crop_sha256) for j, it in enumerate(items) if it.crop_sha256])
                self.conn.executemany("INSERT OR REPLACE INTO sources VALUES (?,?,?,?,?,?,?)",
                                      [(*s, time.time()) for s in sources])
        except (OSError, sqlite3.Error) as exc:
            for tmp, _ in staged:
                tmp.unlink(missing_ok=True)
            reason = "the disk is full" if _is_disk_full(exc) else str(exc)
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

    # ------------------------------------------------------------------ audit

    def generation(self) -> str:
        """The build generation: every committed batch of items increments it (one indexed lookup)."""
        row = self.conn.execute("SELECT value FROM info WHERE key = 'generation'").fetchone()
        return row[0] if row else "0"

    def refresh_if_changed(self) -> bool:
        """Drop the loaded index and columns when another process added items since; True if so.

        The next search then loads (or rebuilds) them for what the database holds now, and its
        audit row records that state: an engine never searches an older gallery than it logs.
        """
        gen = self.generation()
        if gen == self._generation:
            return False
        self._codes = self._segments = self._index = self._logits = None
        self._generation = gen
        return True

    def state(self) -> str:
        """A short description of the gallery's content: item count and build generation."""
        return f"{len(self)} items, build generation {self.generation()}"

    def append_audit(self, origin: str, mode: str, query: str, probe_sha256: str | None, filters: str,
                     model_hash: str, result_ids: list[int], examiner: str | None = None,
                     gallery_state: str | None = None) -> int | None:
        """Append one search to the hash-chained audit log; returns its entry id.

        The previous hash is read and the row written in one IMMEDIATE transaction, so two
        processes appending at once cannot fork the chain. A read-only gallery cannot hold the
        row: it goes to the user's own log (:func:`audit.user_log_path`) and None is returned.
        """
        row = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "origin": origin, "mode": mode, "query": query,
               "probe_sha256": probe_sha256, "filters": filters, "model_hash": model_hash,
               "gallery_state": gallery_state or self.state(), "result_ids": json.dumps([int(i) for i in result_ids]),
               "examiner": examiner or audit.current_examiner(), "host": audit.current_host(),
               "tool_version": __version__}
        if self.read_only:
            audit.append_user_log(audit.user_log_path(self.info), row, audit.genesis(self.info))
            return None
        with self._audit_lock:
            return self._append_row(row)

    def _append_row(self, row: dict) -> int:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self._check_chain_record()
                prev = self.audit_head() or audit.genesis(self.info)
                cols = audit.CONTENT + ("prev_hash", "row_hash")
                head = audit.row_hash(prev, row)
                cur = self.conn.execute(f"INSERT INTO audit ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                                        [row[k] for k in audit.CONTENT] + [prev, head])
                self.conn.commit()
            except BaseException:
                self.conn.rollback()
                raise
            try:  # after the commit: a crash in between leaves an older record, which still verifies
                audit.write_chain_file(self.root, int(cur.lastrowid), head)
            except OSError as exc:
                raise GalleryError(f"the search was recorded, but the chain record beside {str(self.root)!r} could "
                                   f"not be written: {exc}") from None
            return int(cur.lastrowid)
        except sqlite3.Error as exc:
            raise GalleryError(f"could not append to the audit log of {str(self.root)!r}: {exc}") from None

    def _check_chain_record(self) -> None:
        """Refuse to extend a log whose newest recorded entry (``audit.chain``) is gone or changed:
        appending would hide the truncation behind a fresh record."""
        rec = audit.read_chain_file(self.root)
        if rec is None:
            return
        row = None if rec.get("damaged") else self.conn.execute(
            "SELECT row_hash FROM audit WHERE id = ?", (rec["last_id"],)).fetchone()
        if row is None or row[0] != rec["head"]:
            raise GalleryError(f"the audit log of {str(self.root)!r} no longer holds the entry its chain record "
                               f"({audit.CHAIN_FILE}) names: it was truncated or rewritten. Nothing was searched; "
                               f"`deepssh audit --gallery G --verify` shows the details")

    AUDIT_COLUMNS = ("id",) + audit.CONTENT + ("prev_hash", "row_hash")

    def audit_entries(self, mode: str | None = None) -> list[dict]:
        """Every audit row in id order (only those of ``mode``, e.g. "mark", when given); columns a
        read-only older gallery lacks are None."""
        have = {r[1] for r in self.conn.execute("PRAGMA table_info(audit)")}
        cols = [c for c in self.AUDIT_COLUMNS if c in have]
        where, args = ("WHERE mode = ?", (mode,)) if mode is not None else ("", ())
        rows = self.conn.execute(f"SELECT {', '.join(cols)} FROM audit {where} ORDER BY id", args)
        return [{**dict.fromkeys(self.AUDIT_COLUMNS), **dict(zip(cols, r))} for r in rows]

    def verify_audit(self) -> "audit.ChainCheck":
        """Check the audit chain and the append-only triggers (see :mod:`.audit`)."""
        triggers = dict(self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
        return audit.verify(self.audit_entries(), self.info, triggers, audit.read_chain_file(self.root))

    def audit_head(self) -> str | None:
        """The newest link of the audit chain (printed in every evidence report)."""
        row = self.conn.execute("SELECT row_hash FROM audit WHERE row_hash IS NOT NULL ORDER BY id DESC LIMIT 1"
                                ).fetchone()
        return row[0] if row else None

    # ------------------------------------------------------------------ reading

    def _read_codes(self) -> np.ndarray:
        n = len(self)
        buf = b"".join(r[0] for r in self.conn.execute("SELECT code FROM items ORDER BY id"))
        return np.frombuffer(buf, dtype=np.uint8).reshape(n, self.layout.nbytes).copy()

    def _write_derived(self, codes: np.ndarray, ivf: bool | None = None) -> None:
        index = build_binary_index(codes, self.layout.nbits, ivf=len(codes) >= IVF_THRESHOLD if ivf is None else ivf)
        if not is_flat(index):
            # an IVF index scatters codes into lists: keep them in row order for masked queries
            buf = io.BytesIO()
            np.save(buf, codes)
            atomic_write_bytes(self.root / CODES_NAME, buf.getvalue())
        import faiss

        # FAISS writes the file itself (no second copy in memory); rename makes it atomic
        final = self.root / INDEX_NAME
        tmp = final.with_name(f".{INDEX_NAME}.{os.getpid()}.tmp")
        try:
            faiss.write_index_binary(index, str(tmp))
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        seg = AttributeColumns.from_codes(codes.reshape(-1, self.layout.nbytes), self.layout).columns
        buf = io.BytesIO()
        np.save(buf, seg)
        atomic_write_bytes(self.root / SEGMENTS_NAME, buf.getvalue())
        self._record_digests([INDEX_NAME, SEGMENTS_NAME] + ([] if is_flat(index) else [CODES_NAME]))
        self._index, self._segments, self._codes = index, seg, (None if is_flat(index) else codes)

    # Derived files are checked against SHA-256 digests kept in the database (the source of
    # truth): a flipped byte or a damaged header means "rebuild from the database", said in
    # `repairs`, never a silently different ranking and never a traceback.

    def _record_digests(self, names: list[str]) -> None:
        digests = {f"digest:{n}": sha256_file(self.root / n) for n in names}
        with self.conn:
            self.conn.executemany("INSERT OR REPLACE INTO info VALUES (?, ?)", list(digests.items()))
        self.info.update(digests)

    def _check_digest(self, name: str) -> None:
        """Raise ValueError unless ``name`` matches the digest recorded when it was written."""
        want = self.conn.execute("SELECT value FROM info WHERE key = ?", (f"digest:{name}",)).fetchone()
        if want is None:
            raise ValueError(f"{name} has no recorded checksum (written by an older version)")
        if sha256_file(self.root / name) != want[0]:
            raise ValueError(f"{name} does not match its recorded checksum")

    def _note_repair(self, what: str, exc: BaseException) -> None:
        """Say why derived files are rebuilt, unless they were merely missing or out of date."""
        if "stale" not in str(exc) and not isinstance(exc, FileNotFoundError):
            self.repairs.append(f"the gallery's {what} were rebuilt from its database: {exc}")

    def load(self) -> None:
        """Load the index and attribute segments, rebuilding them if stale or missing."""
        import faiss

        n = len(self)
        try:
            for name in (INDEX_NAME, SEGMENTS_NAME):
                self._check_digest(name)
            index = faiss.read_index_binary(str(self.root / INDEX_NAME))
            seg = np.load(self.root / SEGMENTS_NAME, allow_pickle=False)
            if not is_flat(index):
                index.nprobe = IVF_NPROBE
                self._check_digest(CODES_NAME)
                self._codes = np.load(self.root / CODES_NAME, allow_pickle=False)
                if self._codes.shape != (n, self.layout.nbytes):
                    raise ValueError("stale")
            if index.ntotal != n or seg.shape != (self.layout.n_attr_bytes, n) or index.d != self.layout.nbits:
                raise ValueError("stale")
        except (OSError, ValueError, RuntimeError) as exc:
            self._note_repair("index files", exc)
            codes = self._read_codes()
            if self.read_only:
                # cannot write the derived files: build them in memory only
                index = build_binary_index(codes, self.layout.nbits)
                seg = AttributeColumns.from_codes(codes, self.layout).columns
            else:
                self._write_derived(codes)
                return
        self._index, self._segments = index, seg

    @property
    def index(self):
        if self._index is None:
            self.load()
        return self._index

    @property
    def attr_columns(self) -> AttributeColumns:
        """The attribute bytes of every item, column-major (see :class:`AttributeColumns`)."""
        if self._segments is None:
            self.load()
        return AttributeColumns(self._segments, self.layout)

    @property
    def codes(self) -> np.ndarray:
        """``uint8 (N, nbytes)``: a read-only view of the codes inside the FAISS index (no copy)."""
        if self._codes is None:
            import faiss

            idx = self.index
            n = idx.ntotal
            if n and not is_flat(idx):
                self._codes = self._read_codes()
            elif n:
                view = faiss.rev_swig_ptr(idx.xb.data(), n * self.layout.nbytes).reshape(n, self.layout.nbytes)
                view.flags.writeable = False
                self._codes = view
            else:
                self._codes = np.zeros((0, self.layout.nbytes), np.uint8)
        return self._codes

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

    def _read_logits(self) -> np.ndarray:
        from ..model.calibration import logit_columns

        n, a = len(self), self.layout.n_attrs
        buf = b"".join(r[0] for r in self.conn.execute("SELECT attr_scores FROM items ORDER BY id"))
        return logit_columns(np.frombuffer(buf, dtype=np.float32).reshape(n, a))

    def _write_logits(self) -> np.ndarray:
        q = self._read_logits()
        buf = io.BytesIO()
        np.save(buf, q)
        atomic_write_bytes(self.root / LOGITS_NAME, buf.getvalue())
        self._record_digests([LOGITS_NAME])
        return q

    @property
    def attr_logits(self) -> np.ndarray | None:
        """``uint8 (A, N)`` quantised calibrated logits, column-major; None in a gallery without
        probabilities. Rebuilt from the database when missing or stale."""
        if not self.has_probabilities:
            return None
        if self._logits is None:
            shape = (self.layout.n_attrs, len(self))
            try:
                self._check_digest(LOGITS_NAME)
                q = np.load(self.root / LOGITS_NAME, allow_pickle=False)
                if q.shape != shape or q.dtype != np.uint8:
                    raise ValueError("stale")
            except (OSError, ValueError) as exc:
                self._note_repair("attribute probabilities", exc)
                q = self._read_logits() if self.read_only else self._write_logits()
            self._logits = q
        return self._logits

    def _blobs(self, column: str, ids, dtype, width: int) -> np.ndarray:
        """``(len(ids), width)`` array of one BLOB column of the items at ``ids``, in that order."""
        ids = [int(i) for i in ids]
        if not ids:
            return np.zeros((0, width), dtype)
        rows = dict(self.conn.execute(
            f"SELECT id, {column} FROM items WHERE id IN ({','.join('?' * len(ids))})", ids).fetchall())
        return np.stack([np.frombuffer(rows[i], dtype=dtype) for i in ids])

    def codes_of(self, ids) -> np.ndarray:
        """``uint8 (len(ids), nbytes)`` codes as stored in the database (the source of truth)."""
        return self._blobs("code", ids, np.uint8, self.layout.nbytes)

    def attr_scores(self, ids) -> np.ndarray:
        """``float32 (len(ids), A)`` stored attribute probabilities."""
        return self._blobs("attr_scores", ids, np.float32, self.layout.n_attrs)

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
        import hashlib

        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.codes).tobytes())
        for (sha,) in self.conn.execute("SELECT source_sha256 FROM items ORDER BY id"):
            h.update(sha.encode())
        return h.hexdigest()

    def track_items(self, source: str, track: int) -> list[int]:
        return [r[0] for r in self.conn.execute(
            "SELECT id FROM items WHERE source = ? AND track = ? ORDER BY id", (self.rel(source), track))]

    def cameras(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT DISTINCT camera FROM items WHERE camera IS NOT NULL ORDER BY 1")]


def _connect(db: Path, read_only: bool) -> tuple[sqlite3.Connection, dict]:
    """A connection and the ``info`` table.

    Writable galleries use write-ahead logging with ``synchronous=FULL``: every commit (an audit
    record above all) is on disk before it returns, with one fsync of the log instead of the
    rollback journal's several (docs/gallery.md, "Audit writes", has the measurement). A
    read-only opening of such a gallery where SQLite cannot create its shared-memory file (a
    read-only copy, write-protected media) falls back to reading the file as immutable.
    """
    # the GUI searches from worker threads; the engine serialises access with a lock
    uri = f"file:{db.resolve()}?mode=ro" if read_only else f"file:{db.resolve()}"
    conn = None
    try:
        conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
        if not read_only:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        info = dict(conn.execute("SELECT key, value FROM info").fetchall())
    except sqlite3.OperationalError:
        if conn is not None:
            conn.close()
        if not read_only:
            raise
        conn = sqlite3.connect(f"file:{db.resolve()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
        info = dict(conn.execute("SELECT key, value FROM info").fetchall())
    return conn, info


def is_flat(index) -> bool:
    import faiss

    return isinstance(index, faiss.IndexBinaryFlat)


def build_binary_index(codes: np.ndarray, nbits: int, ivf: bool = False):
    """IndexBinaryFlat (exact), or IndexBinaryIVF for huge galleries (docs/gallery.md, "IVF for huge galleries").

    The IVF index has ``sqrt(N) / 4`` lists (559 at 5M codes; with ``IVF_NPROBE`` = 128 a query
    scans about 23% of the gallery, less as it grows), trained with 10 k-means iterations on
    40 codes per list.
    Codes are assigned to their nearest centroid with FAISS's popcount kernel in blocks, which
    is ~15x faster than ``IndexBinaryIVF.add``'s own assignment on this machine.
    """
    import faiss

    if not ivf:
        index = faiss.IndexBinaryFlat(nbits)
        if len(codes):
            index.add(codes)
        return index
    codes = np.ascontiguousarray(codes, dtype=np.uint8)
    n = len(codes)
    nlist = max(1, min(n, int(np.sqrt(n) / 4)))
    index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(nbits), nbits, nlist)
    index.cp.niter = 10
    rng = np.random.default_rng(0)
    index.train(codes[np.sort(rng.choice(n, min(n, 40 * nlist), replace=False))])
    index.nprobe = IVF_NPROBE
    quantizer = faiss.downcast_IndexBinary(index.quantizer)
    centroids = faiss.rev_swig_ptr(quantizer.xb.data(), nlist * (nbits // 8)).copy().reshape(nlist, -1)
    lists = nearest_centroids(codes, centroids)
    index.add_core(n, faiss.swig_ptr(codes), None, faiss.swig_ptr(lists))
    return index


def nearest_centroids(codes: np.ndarray, centroids: np.ndarray, block: int = 16384) -> np.ndarray:
    """``int64 (N,)``: for each code ``uint8 (N, nbytes)`` the index of its nearest centroid
    ``uint8 (C, nbytes)`` in Hamming distance, the lowest index on ties."""
    import faiss

    out = np.empty(len(codes), np.int64)
    dist = np.empty((min(block, len(codes)), len(centroids)), np.int32)
    c = np.ascontiguousarray(centroids, dtype=np.uint8)
    for s in range(0, len(codes), block):
        b = np.ascontiguousarray(codes[s:s + block])
        faiss.hammings(faiss.swig_ptr(b), faiss.swig_ptr(c), len(b), len(c), c.shape[1], faiss.swig_ptr(dist))
        out[s:s + len(b)] = dist[:len(b)].argmin(axis=1)
    return out


def _is_disk_full(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return isinstance(exc, sqlite3.Error) and "full" in str(exc).lower()
