"""Playing the footage around a hit from the details pane (pytest-qt, offscreen)."""

import shutil

from deepssh_gui.common.paths import default_model_path
from deepssh_gui.ui.clip_player import ClipPlayer, read_clip_frames
from tests.conftest import ROOT
from tests.unit.ui.test_main_window import _open_window, _wait_results

VIDEO = ROOT / "resources" / "demo" / "vtest.avi"


def test_frames_around_a_hit_and_the_player_steps_through_them(qtbot):
    frames, first, fps = read_clip_frames(str(VIDEO), 20, seconds=1.0)
    assert (first, fps, len(frames)) == (10, 10.0, 21)
    player = ClipPlayer(frames, first, fps, 20, "test")
    qtbot.addWidget(player)
    player.slider.setValue(10)
    assert "the hit's frame" in player.where.text()
    player.toggle()  # pause
    assert not player.timer.isActive() and player.play_btn.text() == "Play"
    player.slider.setValue(20)
    player.toggle()
    qtbot.waitUntil(lambda: not player.timer.isActive(), timeout=3000)  # stops at the end
    assert "+10 from the hit" in player.where.text()


def test_details_pane_plays_the_footage_of_a_video_hit(qtbot, tmp_path):
    shutil.copytree(ROOT / "resources" / "demo" / "gallery", tmp_path / "gallery")
    shutil.copy(VIDEO, tmp_path / "vtest.avi")
    win = _open_window(qtbot, default_model_path(), tmp_path / "gallery")
    try:
        win.apply_query("personalMale")
        _wait_results(qtbot, win)
        win.view.setCurrentIndex(win.results.index(0))
        qtbot.waitUntil(lambda: win.detail.play_btn.isEnabled(), timeout=20000)
        win.detail.play_btn.click()
        qtbot.waitUntil(lambda: getattr(win, "clip_player", None) is not None, timeout=20000)
        assert len(win.clip_player.frames) > 30
        win.clip_player.close()
    finally:
        win.close()
