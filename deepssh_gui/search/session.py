"""Search sessions: a query and its pinned hits, saved to a JSON file and reopened later."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from ..common.atomic import atomic_write_text
from ..common.errors import DeepSSHError

SESSION_VERSION = 1


@dataclass
class Session:
    gallery: str
    model_hash: str
    attributes: str = ""
    probe_path: str | None = None
    probe_sha256: str | None = None
    probe_box: list[int] | None = None
    pinned: list[int] = field(default_factory=list)  # gallery item ids
    version: int = SESSION_VERSION
    gallery_id: str | None = None  # the gallery's identity (its audit-chain genesis); pins mean nothing elsewhere
    marks: dict[str, str] = field(default_factory=dict)  # item id -> "confirmed" / "rejected" (examiner's marks)
    site_plan: str | None = None  # an image of the site, for the route
    camera_positions: dict[str, list[float]] = field(default_factory=dict)  # camera -> [x, y] fractions of the plan
    route_items: list[int] = field(default_factory=list)  # the items of the route shown (recomputed and audited)

    def check_gallery(self, gallery) -> None:
        """Refuse to apply this session to another gallery than the one it was saved from."""
        from .audit import genesis

        gid = genesis(gallery.info)
        if self.gallery_id is not None and self.gallery_id != gid:
            raise DeepSSHError("this session belongs to another gallery (its pinned items would point at other "
                               f"people here); open it with its gallery, {self.gallery!r}")
        if self.gallery_id is None and os.path.realpath(self.gallery) != os.path.realpath(gallery.root):
            raise DeepSSHError(f"this session was saved for the gallery {self.gallery!r}, not this one")
        n = len(gallery)
        bad = [i for i in self.pinned + [int(k) for k in self.marks] + self.route_items if not 0 <= i < n]
        if bad:
            raise DeepSSHError(f"the session pins items {bad[:5]} that this gallery of {n} items does not have")

    def save(self, path: str | os.PathLike) -> None:
        atomic_write_text(path, json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Session":
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DeepSSHError(f"cannot read session {str(path)!r}: {exc}") from None
        if not isinstance(d, dict) or d.get("version") != SESSION_VERSION:
            raise DeepSSHError(f"{str(path)!r} is not a DeepSSH session of version {SESSION_VERSION}")
        try:
            s = cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
        except TypeError as exc:
            raise DeepSSHError(f"session {str(path)!r} is incomplete: {exc}") from None
        problem = _field_problem(s)
        if problem:
            raise DeepSSHError(f"session {str(path)!r} is malformed: {problem}")
        return s


def _field_problem(s: Session) -> str | None:
    """What is wrong with a loaded session's field types, if anything (a hand-edited file)."""
    def is_str(v, optional=False):
        return isinstance(v, str) or (optional and v is None)

    def is_ints(v):
        return isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v)

    checks = [("gallery", is_str(s.gallery)), ("model_hash", is_str(s.model_hash)),
              ("attributes", is_str(s.attributes)), ("probe_path", is_str(s.probe_path, True)),
              ("probe_sha256", is_str(s.probe_sha256, True)), ("gallery_id", is_str(s.gallery_id, True)),
              ("pinned", is_ints(s.pinned)),
              ("marks", isinstance(s.marks, dict) and all(
                  isinstance(k, str) and k.isdigit() and v in ("confirmed", "rejected") for k, v in s.marks.items())),
              ("probe_box", s.probe_box is None or (is_ints(s.probe_box) and len(s.probe_box) == 4)),
              ("site_plan", is_str(s.site_plan, True)), ("route_items", is_ints(s.route_items)),
              ("camera_positions", isinstance(s.camera_positions, dict) and all(
                  isinstance(k, str) and isinstance(v, list) and len(v) == 2
                  and all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1 for x in v)
                  for k, v in s.camera_positions.items()))]
    bad = [name for name, ok in checks if not ok]
    return f"wrong type for {', '.join(bad)}" if bad else None
