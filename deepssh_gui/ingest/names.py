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


# camera, then a date and a time: cam3_2026-11-24T08-00-00.mp4, entrance 20261124_080000.avi,
# lobby-2026-11-24 08.00.00.mkv (separators between fields vary by recorder)
_FOOTAGE = re.compile(
    r"^(?P<cam>.*?)[ _.-]*(?P<y>20\d\d)[-_.]?(?P<mo>[01]\d)[-_.]?(?P<d>[0-3]\d)[T _.-]?"
    r"(?P<h>[0-2]\d)[-_.:h]?(?P<mi>[0-5]\d)(?:[-_.:m]?(?P<s>[0-5]\d))?(?:[^\d].*)?$")


def footage_from_name(filename: str) -> tuple[str | None, float | None]:
    """``(camera, start time as Unix seconds UTC)`` read from a recorder's file name, each or both None.

    ``cam3_2026-11-24T08-00-00.mp4`` -> ``("cam3", 1795939200.0)``. The time is taken as UTC: a file
    name carries no zone, and the GUI shows and lets the user correct it before ingest.
    """
    from datetime import datetime, timezone

    stem = Path(filename).stem
    m = _FOOTAGE.match(stem)
    if not m:
        return None, None
    try:
        t = datetime(int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"] or 0),
                     tzinfo=timezone.utc).timestamp()
    except ValueError:  # 2026-13-45: not a date after all
        return None, None
    cam = m["cam"].strip(" _.-") or None
    return cam, t
