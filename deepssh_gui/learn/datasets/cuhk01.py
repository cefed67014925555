"""CUHK01 folder loader (Li, Zhao, Wang, ACCV 2012): ``<root>/<pid><n>.jpg``, identity labels only.

``pid`` is the first four digits and ``n`` the last three (001-004): 001-002 come from camera A
and 003-004 from camera B of the campus pair. There are no attribute labels.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...model.schema import PETA, AttributeSchema
from .base import SampleSet, load_identity_folder

_NAME = re.compile(r"^(?P<pid>\d{4})(?P<n>\d{3})$")


def parse_cuhk01_name(filename: str) -> tuple[str, str]:
    """``(pid, camera)`` from ``<pid:4><n:3>.<ext>``; raises ``ValueError`` for other names."""
    m = _NAME.match(Path(filename).stem)
    if not m or not 1 <= int(m.group("n")) <= 4:
        raise ValueError(f"{filename!r} is not a CUHK01 crop name (<pid:4 digits><n:001-004>.jpg)")
    return m.group("pid"), "a" if int(m.group("n")) <= 2 else "b"


def load_cuhk01(root: str | os.PathLike, schema: AttributeSchema = PETA, subset: str = "CUHK01") -> SampleSet:
    """All crops directly under ``root``; identities are ``"<subset>/<pid>"``; labels all -1."""
    return load_identity_folder(root, parse_cuhk01_name, "CUHK01", "<pid:4><n:3>.jpg", schema, subset)
