"""The gallery's hash-chained audit log (the chain itself: ``search/audit.py``)."""

from __future__ import annotations

import atexit
import json
import sqlite3
import threading
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from ... import __version__
from .. import audit
from .tables import GalleryError


class ChainRecorder:
    """Writes the chain record (``audit.chain``: the newest entry's id and hash) off the search's path.

    The audit row itself is committed (and synced) before a search returns; the record beside the
    database only makes a later truncation visible. Writing it (temp file, fsync, rename) cost
    about 1.1 ms a search (issue #24), so one background thread per gallery writes the newest
    record given, skipping any it has been overtaken by. A crash before it lands leaves an older
    record, which still verifies. A failed write is raised by the next :meth:`record` or by
    :meth:`flush` (closing a gallery flushes; so does the end of the process).
    """

    _live: "weakref.WeakSet[ChainRecorder]" = weakref.WeakSet()

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._cond = threading.Condition()
        self._pending: tuple[int, str] | None = None
        self._busy = False
        self._error: Exception | None = None
        self._thread: threading.Thread | None = None
        ChainRecorder._live.add(self)

    def record(self, last_id: int, head: str) -> None:
        with self._cond:
            self._raise_error()
            self._pending = (int(last_id), head)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="deepssh-chain-record", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def flush(self) -> None:
        """Wait until the newest record given is on disk; GalleryError if a write failed."""
        with self._cond:
            while self._pending is not None or self._busy:
                self._cond.wait()
            self._raise_error()

    def _raise_error(self) -> None:
        if self._error is not None:
            exc, self._error = self._error, None
            raise GalleryError(f"a search was recorded in the audit log, but the chain record beside "
                               f"{str(self.root)!r} could not be written: {exc}")

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._pending is None and not self._cond.wait_for(lambda: self._pending is not None, timeout=2.0):
                    self._thread = None  # idle: the next record starts a new thread
                    return
                item, self._pending, self._busy = self._pending, None, True
            try:
                audit.write_chain_file(self.root, *item)
            except Exception as exc:  # noqa: BLE001 - kept and raised by the next record or flush, never lost
                with self._cond:
                    self._error = exc
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


@atexit.register
def _flush_chain_records() -> None:
    for rec in list(ChainRecorder._live):
        try:
            rec.flush()
        except GalleryError as exc:
            import sys

            print(f"warning: {exc}", file=sys.stderr)


class AuditRoom:
    """Appends searches to the audit table and reads and verifies it."""

    def append_audit(self, origin: str, mode: str, query: str, probe_sha256: str | None, filters: str,
                     model_hash: str, result_ids: list[int], examiner: str | None = None,
                     gallery_state: str | None = None) -> int | None:
        """Append one search to the hash-chained audit log; returns its entry id.

        The previous hash is read and the row written in one IMMEDIATE transaction, so two
        processes appending at once cannot fork the chain. A read-only gallery cannot hold the
        row: it goes to the user's own log (:func:`audit.user_log_path`) and None is returned.
        """
        return self._write_row(self._audit_row(origin, mode, query, probe_sha256, filters, model_hash, result_ids,
                                               examiner, gallery_state))

    def append_audit_async(self, origin: str, mode: str, query: str, probe_sha256: str | None, filters: str,
                           model_hash: str, result_ids: list[int], examiner: str | None = None,
                           gallery_state: str | None = None) -> "Future[int | None]":
        """:meth:`append_audit` on the gallery's audit thread: ``.result()`` is the entry id, or
        raises what the append raised.

        The row is committed (and synced) on its own connection, so a search reads its hits'
        metadata while its record goes to disk; the search returns only after ``.result()``.
        """
        row = self._audit_row(origin, mode, query, probe_sha256, filters, model_hash, result_ids, examiner,
                              gallery_state)
        with self._audit_lock:
            if self._audit_pool is None:
                self._audit_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="deepssh-audit")
            return self._audit_pool.submit(self._write_row, row)

    def _audit_row(self, origin: str, mode: str, query: str, probe_sha256: str | None, filters: str,
                   model_hash: str, result_ids: list[int], examiner: str | None, gallery_state: str | None) -> dict:
        return {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "origin": origin, "mode": mode, "query": query,
                "probe_sha256": probe_sha256, "filters": filters, "model_hash": model_hash,
                "gallery_state": gallery_state or self.state(), "result_ids": json.dumps([int(i) for i in result_ids]),
                "examiner": examiner or audit.current_examiner(), "host": audit.current_host(),
                "tool_version": __version__}

    def _write_row(self, row: dict) -> int | None:
        if self.read_only:
            audit.append_user_log(audit.user_log_path(self.info), row, audit.genesis(self.info))
            return None
        with self._audit_lock:
            return self._append_row(row)

    def _audit_writer(self) -> sqlite3.Connection:
        """The connection audit rows are written on (opened on first use), apart from ``conn`` so
        that a row can be committed on the audit thread while ``conn`` reads."""
        if self._audit_conn is None:
            self._audit_conn = self._open_writer()
        return self._audit_conn

    def _close_audit(self) -> None:
        """Finish pending appends, then close the audit connection (the gallery is closing)."""
        pool, self._audit_pool = self._audit_pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        if self._audit_conn is not None:
            self._audit_conn.close()
            self._audit_conn = None

    def _append_row(self, row: dict) -> int:
        conn = self._audit_writer()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._check_chain_record(conn)
                prev = self._head(conn) or audit.genesis(self.info)
                cols = audit.CONTENT + ("prev_hash", "row_hash")
                head = audit.row_hash(prev, row)
                cur = conn.execute(f"INSERT INTO audit ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                                   [row[k] for k in audit.CONTENT] + [prev, head])
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            # after the commit, in the background (ChainRecorder): a crash in between leaves an older
            # record, which still verifies
            self._chain.record(int(cur.lastrowid), head)
            return int(cur.lastrowid)
        except sqlite3.Error as exc:
            raise GalleryError(f"could not append to the audit log of {str(self.root)!r}: {exc}") from None

    def _check_chain_record(self, conn: sqlite3.Connection) -> None:
        """Refuse to extend a log whose newest recorded entry (``audit.chain``) is gone or changed:
        appending would hide the truncation behind a fresh record."""
        rec = audit.read_chain_file(self.root)
        if rec is None:
            return
        row = None if rec.get("damaged") else conn.execute(
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
        if not self.read_only:
            self._chain.flush()  # this process's newest record, not the one before it
        triggers = dict(self.conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
        return audit.verify(self.audit_entries(), self.info, triggers, audit.read_chain_file(self.root))

    def audit_head(self) -> str | None:
        """The newest link of the audit chain (printed in every evidence report)."""
        return self._head(self.conn)

    @staticmethod
    def _head(conn: sqlite3.Connection) -> str | None:
        row = conn.execute("SELECT row_hash FROM audit WHERE row_hash IS NOT NULL ORDER BY id DESC LIMIT 1"
                           ).fetchone()
        return row[0] if row else None
