"""The tamper-evident audit log: every search, hash-chained.

Each row stores the SHA-256 of the previous row's hash and its own canonical content
(``row_hash = sha256(prev_hash + "\\n" + canonical JSON of the row)``), the examiner (OS user
or ``--examiner``), the host and the tool version. The first row's ``prev_hash`` is derived
from the gallery's creation time and model, so a chain cannot be moved to another gallery.
Editing, deleting or renumbering a row breaks every later link; ``verify`` names the first
broken one. Rows written before this version (no hashes) may only precede the chain.

What this does not stop (docs/reliability.md): someone with write access and this tool can
rebuild a consistent chain from scratch. Every evidence report prints the chain head at export
time, so such a rewrite is provable against any report issued before it.
"""

from __future__ import annotations

import functools
import getpass
import hashlib
import json
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

# the content of a row, in the order it is hashed (the id is covered through the chain order)
CONTENT = ("time", "origin", "mode", "query", "probe_sha256", "filters", "model_hash", "gallery_state",
           "result_ids", "examiner", "host", "tool_version")
NEW_COLUMNS = ("examiner", "host", "tool_version", "prev_hash", "row_hash")
TRIGGERS = ("audit_no_update", "audit_no_delete")


def genesis(info: dict) -> str:
    """``prev_hash`` of the first chained row: binds the chain to this gallery.

    Galleries made since issue #21 carry a random ``uid`` in it (two galleries created in the same
    second by one model used to share a genesis); older ones keep theirs, so their chains hold."""
    uid = f"|{info['uid']}" if info.get("uid") else ""
    return hashlib.sha256(f"deepssh-audit-v1|{info.get('created')}|{info.get('model_hash')}{uid}".encode()).hexdigest()


def row_hash(prev_hash: str, row: dict) -> str:
    canon = json.dumps({k: row.get(k) for k in CONTENT}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + canon).encode("utf-8")).hexdigest()


# once per process: the password-database lookup cost about 0.1 ms on every search (issue #24),
# and neither the OS user nor the host name of a running process changes
@functools.lru_cache(maxsize=1)
def current_examiner() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return "unknown"


@functools.lru_cache(maxsize=1)
def current_host() -> str:
    return socket.gethostname()


@dataclass
class ChainCheck:
    """The result of :func:`verify`: ``ok`` only when every link holds and the triggers exist."""

    n_rows: int
    n_legacy: int
    head: str | None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


TRIGGER_SQL = {  # what each trigger must say (sqlite_master keeps the text; compared without case or spacing)
    "audit_no_update": "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "audit_no_delete": "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
}
CHAIN_FILE = "audit.chain"  # beside gallery.sqlite: the chain's length and head, kept outside the database


def _norm_sql(sql: str) -> str:
    return " ".join(sql.replace("IF NOT EXISTS", "").replace("if not exists", "").split()).lower()


def write_chain_file(root: Path, last_id: int, head: str) -> None:
    """Record the newest entry (id and hash) outside the database, atomically."""
    from ..common.atomic import atomic_write_text

    atomic_write_text(Path(root) / CHAIN_FILE, json.dumps({"last_id": int(last_id), "head": head}) + "\n")


def read_chain_file(root: Path) -> dict | None:
    p = Path(root) / CHAIN_FILE
    if not p.is_file():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
        return {"last_id": int(d["last_id"]), "head": str(d["head"])}
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return {"damaged": True}


def verify(rows: list[dict], info: dict, triggers_present: set[str] | dict[str, str],
           chain_file: dict | None = None) -> ChainCheck:
    """Check ``rows`` (all audit rows in id order, with every column) against their chain.

    ``triggers_present`` maps trigger names to their SQL (a set of names is accepted from older
    callers, which checks names only). ``chain_file`` is :func:`read_chain_file`'s record: the
    entry it names must still be in the chain with the same hash, so deleted newest entries
    (triggers dropped, rows deleted, triggers re-created) are visible.
    """
    problems = []
    missing = [t for t in TRIGGERS if t not in triggers_present]
    if missing:
        problems.append(f"the append-only triggers {', '.join(missing)} are missing from the database")
    if isinstance(triggers_present, dict):
        changed = [t for t in TRIGGERS if t in triggers_present
                   and _norm_sql(triggers_present[t] or "") != _norm_sql(TRIGGER_SQL[t])]
        if changed:
            problems.append(f"the append-only triggers {', '.join(changed)} were replaced by triggers that do not "
                            f"refuse edits (their SQL differs from DeepSSH's)")
    if chain_file is not None:
        if chain_file.get("damaged"):
            problems.append(f"the chain record {CHAIN_FILE} beside the database is damaged")
        else:
            at = next((r for r in rows if r["id"] == chain_file["last_id"]), None)
            if at is None:
                problems.append(f"entry {chain_file['last_id']}, recorded in {CHAIN_FILE} as the newest entry, is "
                                f"gone: the log was truncated (it holds {len(rows)} entries)")
            elif at.get("row_hash") != chain_file["head"]:
                problems.append(f"entry {chain_file['last_id']} does not have the hash {CHAIN_FILE} recorded for it: "
                                f"the log was rewritten from there")
    prev = genesis(info)
    legacy = 0
    chained = False
    for r in rows:
        if r.get("row_hash") is None:
            if chained:
                problems.append(f"entry {r['id']} has no hash but follows hashed entries: the chain was cut")
                break
            legacy += 1
            continue
        chained = True
        if r.get("prev_hash") != prev:
            problems.append(f"entry {r['id']}: its link to the previous entry is broken (an entry before it was "
                            f"edited, deleted or inserted)")
            break
        if row_hash(prev, r) != r["row_hash"]:
            problems.append(f"entry {r['id']}: its content does not match its hash (the entry was edited)")
            break
        prev = r["row_hash"]
    return ChainCheck(len(rows), legacy, prev if chained else None, problems)


def user_log_path(info: dict) -> Path:
    """Where searches of a read-only gallery are recorded: the user's data folder, one file per gallery."""
    from ..common.paths import user_data_dir

    return user_data_dir() / "audit" / f"{genesis(info)[:24]}.jsonl"


def append_user_log(path, row: dict, first_prev: str) -> str:
    """Append ``row`` to a JSON-lines log with the same hash chain; returns its hash.

    An exclusive lock on the file keeps concurrent processes from forking the chain; the line
    is written and flushed to disk before the lock is released.
    """
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        prev = first_prev
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    prev = json.loads(line)["row_hash"]
                except (ValueError, KeyError, TypeError):
                    from ..common.errors import DeepSSHError

                    raise DeepSSHError(f"your audit log of this read-only gallery, {str(path)!r}, is damaged at line "
                                       f"{n}; nothing was searched. Move the file aside (keep it: it is evidence) "
                                       f"and search again to start a new log") from None
        entry = {**{k: row.get(k) for k in CONTENT}, "prev_hash": prev}
        entry["row_hash"] = row_hash(prev, entry)
        f.seek(0, os.SEEK_END)
        f.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())
        return entry["row_hash"]
