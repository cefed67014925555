"""Camera and identity from re-id style crop names (Market-1501 / DukeMTMC: ``0002_c1s1_000451_03.jpg``)."""

from __future__ import annotations

import re
from pathlib import Path

_NAME = re.compile(r"^(?P<id>-?\d+)_c(?P<cam>\d+)")


def parse_reid_name(filename: str) -> tuple[str, str] | None:
    """``(id, camera)`` from a Market/Duke-style name, or None if it does not match."""
    m = _NAME.match(Path(filename).name)
    if not m:
        return None
    return m.group("id"), "c" + m.group("cam")
