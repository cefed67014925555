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

This module opens and creates galleries; the store's concerns live in rooms under
``search/store/`` (paths, writer, derived files, audit log, metadata reads), which the
:class:`Gallery` class composes.
"""


from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np

from .. import __version__
from ..model.layout import CodeLayout
from ..model.modelfile import opens_galleries_of
from ..model.schema import AttributeSchema
from . import audit
from .store.auditlog import AuditRoom, ChainRecorder
from .store.derived import DerivedRoom, build_binary_index, is_flat, nearest_centroids
from .store.metadata import MetadataRoom
from .store.paths import PathsRoom
from .store.rejected import RejectedRoom
from .store.tables import (_SCHEMA_SQL, CODES_NAME, DB_NAME, GALLERY_FORMAT_VERSION, INDEX_NAME, IVF_NPROBE,
                           LOCK_NAME, LOGITS_NAME, PROBABILITY_KINDS, READABLE_FORMAT_VERSIONS, SCHEMA_COMMON_SQL,
                           SEGMENTS_NAME, GalleryError, ItemMeta, NewItem, RejectedCrop, derived_digest, items_is_table,
                           items_sql, sha256_file)
from .store.writer import WriterRoom

__all__ = ["Gallery", "GalleryError", "ItemMeta", "NewItem", "RejectedCrop", "sha256_file", "derived_digest", "build_binary_index",
           "is_flat", "nearest_centroids", "DB_NAME", "INDEX_NAME", "CODES_NAME", "SEGMENTS_NAME", "LOGITS_NAME",
           "LOCK_NAME", "GALLERY_FORMAT_VERSION", "IVF_NPROBE", "IVF_THRESHOLD", "PROBABILITY_KINDS", "_SCHEMA_SQL"]

# Above this many items the gallery uses a FAISS IndexBinaryIVF (approximate, sub-linear)
# instead of IndexBinaryFlat; `deepssh bench --ivf` reports its recall against flat.
IVF_THRESHOLD = int(os.environ.get("DEEPSSH_IVF_THRESHOLD", 5_000_000))
# how long a writer waits for another process's transaction before giving up (audit rows
# included: a search whose row cannot be written fails rather than go unrecorded)
BUSY_TIMEOUT_S = 30.0


class Gallery(PathsRoom, MetadataRoom, WriterRoom, DerivedRoom, AuditRoom, RejectedRoom):
    """Open with :meth:`open` (existing) or :meth:`create` (new); close when done."""

    def __init__(self, root: Path, conn: sqlite3.Connection, info: dict, read_only: bool) -> None:
        self.root = root
        self.conn = conn
        # where ids, codes and probabilities are read: the table under the items view of a
        # version-3 gallery (the view's join would cost every row a lookup), else the items table
        self.item_rows = "items" if items_is_table(conn) else "item_rows"
        # one audit append at a time per gallery object: two GUI jobs (two marks in quick succession)
        # share the audit connection, and a second BEGIN inside the first transaction would fail
        self._audit_lock = threading.Lock()
        self._audit_conn: sqlite3.Connection | None = None  # see AuditRoom._audit_writer
        self._audit_pool = None  # the audit thread, started by the first append_audit_async
        self._chain = ChainRecorder(root)
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
        if ver not in READABLE_FORMAT_VERSIONS:
            conn.close()
            raise GalleryError(f"gallery {str(root)!r} has format version {ver}; this DeepSSH ({__version__}) "
                               f"reads versions {', '.join(READABLE_FORMAT_VERSIONS)}")
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
                    # adds tables/triggers that newer versions introduced (items keep their layout)
                    conn.executescript(SCHEMA_COMMON_SQL + items_sql(conn))
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
            if not opens_galleries_of(model, info["model_hash"]):
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
        self._close_audit()
        try:
            self._chain.flush()
        except GalleryError as exc:  # the audit rows are in the database; only the record beside it is behind
            import sys

            print(f"warning: {exc}", file=sys.stderr)
        self.conn.close()

    def __enter__(self) -> "Gallery":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open_writer(self) -> sqlite3.Connection:
        return _connect(self.root / DB_NAME, read_only=False)[0]

    def _ivf_default(self, n: int) -> bool:
        # read here, at call time: IVF_THRESHOLD is this module's setting (tests lower it)
        return n >= IVF_THRESHOLD


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
