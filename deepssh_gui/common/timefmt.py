"""How an item's time is shown: absolute (UTC) when the footage had a start time, else seconds."""

from __future__ import annotations

from datetime import datetime, timezone

# Item times are seconds from the video's start, or Unix times when the ingest was given
# --start-time; no clip is 3 years long, so a value past this is an absolute time.
ABSOLUTE_AFTER = 1e8


def describe_time(t: float | None, digits: int = 1) -> str:
    """``"2026-11-24 08:00:12.5 UTC"`` for an absolute time, ``"51.1 s"`` for a time in the clip."""
    if t is None:
        return "—"
    if t >= ABSOLUTE_AFTER:
        d = datetime.fromtimestamp(t, timezone.utc)
        frac = f"{t % 1:.{digits}f}"[1:] if digits else ""
        return d.strftime("%Y-%m-%d %H:%M:%S") + frac + " UTC"
    return f"{t:.{digits}f} s"
