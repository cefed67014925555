"""A plain folder (recursive) or a text file list of crops, with no labels."""

from __future__ import annotations

import os
from pathlib import Path

from ..common.errors import DatasetError
from ..common.imageio import is_image_path


def load_folder(source: str | os.PathLike) -> list[str]:
    """Image paths under a directory (recursive, sorted), or listed one per line in a text file.

    A file list keeps its order and may name non-image files; those are reported by the
    encoder rather than silently dropped here.
    """
    src = Path(source)
    if src.is_dir():
        # symbolic links that lead out of the folder are not followed: a gallery holds only what
        # the examiner pointed it at (os.walk does not descend into linked folders either)
        inside = os.path.realpath(src) + os.sep
        paths = []
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            paths.extend(str(Path(dirpath) / f) for f in sorted(filenames)
                         if is_image_path(f) and os.path.realpath(Path(dirpath) / f).startswith(inside))
        return paths
    if src.is_file():
        lines = src.read_text(encoding="utf-8").splitlines()
        return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    raise DatasetError(f"{str(src)!r} is neither a folder of images nor a file list")
