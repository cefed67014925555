"""The background-job helper drops results that arrive after its window closed (pytest-qt)."""

import threading

from deepssh_gui.ui.jobs import JobRunner


def test_results_after_close_are_dropped(qtbot):
    runner = JobRunner()
    release = threading.Event()
    got = []

    def work(progress, cancel):
        release.wait(5)
        return 42

    runner.start("slow", work, on_success=got.append, on_error=got.append)
    runner.close()  # the window closes while the job still runs
    release.set()
    assert runner.wait(5000)
    qtbot.wait(50)  # let the queued signals arrive
    assert got == []


def test_results_arrive_while_open(qtbot):
    runner = JobRunner()
    got = []
    runner.start("quick", lambda progress, cancel: 7, on_success=got.append)
    qtbot.waitUntil(lambda: got == [7], timeout=5000)
