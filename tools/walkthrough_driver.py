"""What both scripted walkthroughs share: the application and its settings, the window, waiting
for the window's background work, and screenshots."""

import time
from pathlib import Path


def start_app(settings: dict):
    """The Qt application, with its own settings (never the user's) set to ``settings``."""
    from deepssh_gui.ui.qt_env import fix_qt_plugin_path

    fix_qt_plugin_path()
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["deepssh-walkthrough"])
    app.setOrganizationName("DeepSSH-walkthrough")  # its own settings, not the user's
    for key, value in {"report/examiner": "scripted walkthrough", **settings}.items():
        QSettings().setValue(key, value)
    return app


class Driver:
    def __init__(self, app, win, out_dir: Path, prefix: str) -> None:
        self.app, self.win, self.out_dir, self.prefix = app, win, out_dir, prefix

    @classmethod
    def open_window(cls, app, model: str | None, gallery, out_dir: Path, prefix: str,
                    size: tuple[int, int]) -> "Driver":
        """The main window on ``gallery`` (errors kept out of dialogs), shown, once its engine is loaded."""
        from deepssh_gui.common.paths import default_model_path
        from deepssh_gui.ui.main_window import MainWindow

        win = MainWindow(model or str(default_model_path()), str(gallery))
        win.quiet_errors = True
        win.resize(*size)
        win.show()
        drive = cls(app, win, out_dir, prefix)
        drive.wait(lambda: win.engine is not None)
        return drive

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
