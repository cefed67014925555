"""CUHK03 folder loader (Li et al., CVPR 2014): ``<root>/<pid>_<n>.jpg``, identity labels only.

``n`` 00-04 come from the first camera of the identity's camera pair and 05-09 from the
second, so the camera is ``"a"`` for ``n < 5`` and ``"b"`` otherwise. There are no attribute
labels: every label is -1 (unknown), which the attribute loss masks out.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ...model.schema import PETA, AttributeSchema
from .base import SampleSet, load_identity_folder

_NAME = re.compile(r"^(?P<pid>\d+)_(?P<n>\d+)$")


def parse_cuhk03_name(filename: str) -> tuple[str, str]:
    """``(pid, camera)`` from ``<pid>_<n>.<ext>``; raises ``ValueError`` for other names."""
    m = _NAME.match(Path(filename).stem)
    if not m:
        raise ValueError(f"{filename!r} is not a CUHK03 crop name (<pid>_<n>.jpg)")
    return m.group("pid"), "a" if int(m.group("n")) < 5 else "b"


def load_cuhk03(root: str | os.PathLike, schema: AttributeSchema = PETA, subset: str = "CUHK03") -> SampleSet:
    """All crops directly under ``root``; identities are ``"<subset>/<pid>"``; labels all -1."""
    return load_identity_folder(root, parse_cuhk03_name, "CUHK03", "<pid>_<n>.jpg", schema, subset)
