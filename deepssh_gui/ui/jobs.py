"""One small background-job helper: run a function on a worker thread, cancellable,
reporting progress and results back to the UI thread through Qt signals."""

from __future__ import annotations

import threading
import traceback
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from ..common.errors import DeepSSHError
from ..common.progress import Cancelled


class Job(QObject):
    """Handle of one background job. Signals arrive on the thread that created the job."""

    progress = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()  # after any of the three outcomes

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self._cancel = threading.Event()
        self.running = True

    def cancel(self) -> None:
        self._cancel.set()

    def is_cancelled(self) -> bool:
        return self._cancel.is_set()


class _Runnable(QRunnable):
    def __init__(self, job: Job, fn: Callable[..., Any]) -> None:
        super().__init__()
        self.job, self.fn = job, fn
        self.setAutoDelete(True)

    def run(self) -> None:
        job = self.job
        try:
            result = self.fn(progress=lambda d, t, m="": job.progress.emit(int(d), int(t), str(m)),
                             cancel=job.is_cancelled)
        except Cancelled:
            job.running = False
            job.cancelled.emit()
        except DeepSSHError as exc:
            job.running = False
            job.failed.emit(str(exc))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never lost
            job.running = False
            job.failed.emit(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=4)}")
        else:
            job.running = False
            job.succeeded.emit(result)
        job.done.emit()


class JobRunner(QObject):
    """Starts jobs on a private thread pool and keeps them alive until they finish."""

    def __init__(self, max_threads: int = 2) -> None:
        super().__init__()
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(max_threads)
        self.active: set[Job] = set()
        self.closed = False

    def close(self) -> None:
        """Drop the results of jobs still running: their window is closing, and a callback into a
        deleted window would raise in the event loop (seen under load, when a job outlives the wait)."""
        self.closed = True
        for job in list(self.active):
            job.cancel()

    def guarded(self, fn: Callable | None) -> Callable | None:
        if fn is None:
            return None

        def call(*args) -> None:
            if not self.closed:
                fn(*args)
        return call

    def start(self, name: str, fn: Callable[..., Any], on_success: Callable[[Any], None] | None = None,
              on_error: Callable[[str], None] | None = None,
              on_progress: Callable[[int, int, str], None] | None = None) -> Job:
        """Run ``fn(progress=..., cancel=...)`` in the background."""
        job = Job(name)
        on_success, on_error, on_progress = map(self.guarded, (on_success, on_error, on_progress))
        if on_success:
            job.succeeded.connect(on_success)
        if on_error:
            job.failed.connect(on_error)
        if on_progress:
            job.progress.connect(on_progress)
        self.active.add(job)
        job.done.connect(lambda: self.active.discard(job))
        self.pool.start(_Runnable(job, fn))
        return job

    def busy(self) -> bool:
        return bool(self.active)

    def wait(self, ms: int = -1) -> bool:
        return self.pool.waitForDone(ms)
