"""Exception types with messages meant for the user, shared by the CLI and the GUI."""

from __future__ import annotations


class DeepSSHError(Exception):
    """Base class: ``str(exc)`` is a complete, user-facing message."""


class ImageError(DeepSSHError):
    """An image file could not be read; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot read image {path!r}: {reason}")
        self.path = path
        self.reason = reason


class CheckpointError(DeepSSHError):
    """A model file is missing, corrupt, foreign, unsafe or from an incompatible version."""


class DatasetError(DeepSSHError):
    """A dataset root does not have the expected layout."""
