"""What both scripted walkthroughs share: waiting for the window's background work, and screenshots."""

import time
from pathlib import Path


class Driver:
    def __init__(self, app, win, out_dir: Path, prefix: str) -> None:
        self.app, self.win, self.out_dir, self.prefix = app, win, out_dir, prefix

    def wait(self, cond, timeout: float = 120.0) -> None:
        t0 = time.perf_counter()
        while not cond():
            self.app.processEvents()
            time.sleep(0.02)
            if time.perf_counter() - t0 > timeout:
                raise SystemExit(f"walkthrough timed out (last error: {self.win.last_error or 'none'})")

    def settle(self) -> None:
        """Until no job runs and no search is pending, then a few more event rounds for painting."""
        self.wait(lambda: not self.win.jobs.busy() and not self.win._debounce.isActive())
        for _ in range(5):
            self.app.processEvents()

    def shot(self, name: str, widget=None) -> None:
        self.settle()
        path = self.out_dir / f"{self.prefix}{name}.png"
        (widget or self.win).grab().save(str(path))
        print(f"{path}: {self.win.status_query.text()}")
