"""Atomic file writes: write to a temporary file in the same folder, fsync, then rename.

A crash, Ctrl-C or full disk mid-write leaves the previous file untouched and no partial file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, IO


def atomic_write_with(path: str | os.PathLike, writer: Callable[[IO[bytes]], None]) -> None:
    """Call ``writer(fileobj)`` on a temp file, then atomically replace ``path`` with it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            writer(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the file normal permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    atomic_write_with(path, lambda f: f.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Copy the file ``src`` to ``dst`` atomically (the same temp-file-and-rename as above)."""
    import shutil

    with open(src, "rb") as f_in:
        atomic_write_with(dst, lambda f_out: shutil.copyfileobj(f_in, f_out, 1 << 20))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
