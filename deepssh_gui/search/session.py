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
            return cls(**{k: d[k] for k in cls.__dataclass_fields__ if k in d})
        except TypeError as exc:
            raise DeepSSHError(f"session {str(path)!r} is incomplete: {exc}") from None
