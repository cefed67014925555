"""Progress reporting and cancellation shared by long jobs (CLI uses tqdm, GUI uses signals)."""

from __future__ import annotations

from typing import Callable, Protocol


class Cancelled(Exception):
    """Raised inside a long job when its cancel check returns True."""


class Progress(Protocol):
    def __call__(self, done: int, total: int, message: str = "") -> None: ...


def no_progress(done: int, total: int, message: str = "") -> None:
    return None


def check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled()


class TqdmProgress:
    """Adapts the ``Progress`` callback to a tqdm bar (created lazily, on stderr)."""

    def __init__(self, desc: str, unit: str = "img") -> None:
        self.desc, self.unit, self.bar = desc, unit, None

    def __call__(self, done: int, total: int, message: str = "") -> None:
        from tqdm import tqdm

        if self.bar is None or self.bar.total != total:
            if self.bar is not None:
                self.bar.close()
            self.bar = tqdm(total=total, desc=self.desc, unit=self.unit, dynamic_ncols=True)
        self.bar.n = done
        if message:
            self.bar.set_postfix_str(message, refresh=False)
        self.bar.refresh()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
