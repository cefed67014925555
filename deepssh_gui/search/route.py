"""Where a person went: confirmed hits ordered in time and grouped into sightings per camera.

A *sighting* is a run of hits on one camera with no other camera's hit between them (first and
last seen, and its items). A *leg* joins two consecutive sightings on different cameras with
the time between the last hit of one and the first hit of the next. Two cameras that
alternate within a minute (A, B, A) are flagged: the same person is rarely in both places at
once, so one of the confirmations (or a camera's clock) may be wrong.

Times are the items' timestamps: absolute (Unix seconds) for footage ingested with its start
time, else seconds from the start of its video, in which case the order across videos means
nothing and the route says so. Hits without a time are listed apart, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..common.timefmt import describe_time
from .gallery import ItemMeta

ABSOLUTE_AFTER = 10 ** 9  # Unix seconds from 2001-09-09; smaller times are offsets into a video


@dataclass(frozen=True)
class Sighting:
    camera: str
    first: float
    last: float
    items: tuple[int, ...]  # item ids in time order


@dataclass(frozen=True)
class Leg:
    from_camera: str
    to_camera: str
    gap_seconds: float  # first hit of the next sighting minus last hit of this one (>= 0)


@dataclass
class Route:
    sightings: list[Sighting] = field(default_factory=list)
    legs: list[Leg] = field(default_factory=list)
    undated: tuple[int, ...] = ()  # item ids without a time
    notes: list[str] = field(default_factory=list)
    audit_id: int | None = None  # its entry in the gallery's audit log, once recorded

    @property
    def cameras(self) -> list[str]:
        """Cameras in the order visited (a camera visited twice appears twice)."""
        return [s.camera for s in self.sightings]

    def lines(self) -> list[str]:
        """The route as plain text lines (CLI, audit log, report)."""
        out = []
        for i, s in enumerate(self.sightings):
            span = describe_time(s.first) if s.first == s.last else \
                f"{describe_time(s.first)} to {describe_time(s.last)}"
            out.append(f"{i + 1}. {s.camera}: {span} ({len(s.items)} hit{'s' * (len(s.items) != 1)}: "
                       f"items {', '.join(map(str, s.items))})")
            if i < len(self.legs):
                leg = self.legs[i]
                out.append(f"   -> {leg.to_camera} after {_gap(leg.gap_seconds)}")
        if self.undated:
            out.append(f"without a time: items {', '.join(map(str, self.undated))}")
        return out + [f"note: {n}" for n in self.notes]


def _gap(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def camera_of(meta: ItemMeta) -> str:
    """The item's camera, else its video's file name, else "unknown camera"."""
    return meta.camera or (Path(meta.source).name if meta.frame is not None else "") or "unknown camera"


def build_route(metas: list[ItemMeta]) -> Route:
    """The route through ``metas`` (any order). Equal times keep item-id order, so it is stable."""
    dated = sorted((m for m in metas if m.timestamp is not None), key=lambda m: (m.timestamp, m.id))
    route = Route(undated=tuple(sorted(m.id for m in metas if m.timestamp is None)))
    for m in dated:
        cam = camera_of(m)
        last = route.sightings[-1] if route.sightings else None
        if last is not None and last.camera == cam:
            route.sightings[-1] = Sighting(cam, last.first, m.timestamp, last.items + (m.id,))
        else:
            route.sightings.append(Sighting(cam, m.timestamp, m.timestamp, (m.id,)))
    for a, b in zip(route.sightings, route.sightings[1:]):
        route.legs.append(Leg(a.camera, b.camera, b.first - a.last))
    if any(m.timestamp < ABSOLUTE_AFTER for m in dated) and len({camera_of(m) for m in dated}) > 1:
        route.notes.append("some times are seconds from the start of their video (no start time was given at "
                           "ingest): the order across cameras is not reliable")
    # sightings interleave when the person is on two cameras at once: merge-sorting splits them
    seen: dict[str, int] = {}
    for i, s in enumerate(route.sightings):
        if s.camera in seen and i - seen[s.camera] == 2 and route.legs[i - 1].gap_seconds < 60:
            route.notes.append(f"{s.camera} and {route.sightings[i - 1].camera} alternate within a minute "
                               f"around {describe_time(s.first)}: check the confirmations or the cameras' clocks")
        seen[s.camera] = i
    return route


def marks_in_audit(entries: list[dict]) -> dict[int, str]:
    """Each item's latest mark in the audit log ("confirmed" / "rejected"; cleared items are left out)."""
    import json

    latest: dict[int, str] = {}
    for e in entries:
        if e.get("mode") == "mark" and e.get("result_ids"):
            for item in json.loads(e["result_ids"]):
                latest[int(item)] = e.get("query") or ""
    return {i: m for i, m in sorted(latest.items()) if m in ("confirmed", "rejected")}


def confirmed_in_audit(entries: list[dict]) -> list[int]:
    """Items whose latest mark in the audit log is "confirmed" (the examiner's current view)."""
    return [i for i, m in marks_in_audit(entries).items() if m == "confirmed"]
