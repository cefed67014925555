"""Reviewing and restoring the crops the person filter kept out (pytest-qt, offscreen)."""

from deepssh_gui.ui.rejected_dialog import RejectedDialog
from tests.unit.model.test_person import strict_model  # noqa: F401 - the fixture
from tests.unit.ui.test_main_window import _open_window


def test_dialog_lists_crops_and_asks_for_the_selected(qtbot):
    from deepssh_gui.search.gallery import RejectedCrop

    rows = [(RejectedCrop("crops/v/a.jpg", "v.avi", "c", 3, 0.3, (1, 2, 3, 4), 1, 0.12), None),
            (RejectedCrop("crops/v/<b>.jpg", "v.avi", "c", 9, 0.9, None, 2, 0.4), None)]
    dlg = RejectedDialog(rows)
    qtbot.addWidget(dlg)
    assert dlg.list.count() == 2 and dlg.list.item(0).text() == "0.12 · frame 3"
    assert not dlg.restore_button.isEnabled()
    dlg.list.item(1).setSelected(True)
    with qtbot.waitSignal(dlg.restoreRequested) as sig:
        dlg.restore_button.click()
    assert sig.args == [["crops/v/<b>.jpg"]]


def test_gui_restores_a_rejected_crop_and_audits_it(qtbot, tmp_path, strict_model):  # noqa: F811
    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.gallery import Gallery
    from tests.unit.ingest.test_video import _make_clip

    m = load_model_file(strict_model)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, str(_make_clip(tmp_path / "clip.avi")))
        n_rejected = len(g.rejected_crops())
    assert n_rejected
    win = _open_window(qtbot, strict_model, tmp_path / "g")
    try:
        assert win.rejected_action.isEnabled()
        win.show_rejected()
        dlg = win.rejected_dialog
        assert dlg.list.count() == n_rejected and not dlg.list.item(0).icon().isNull()
        dlg.list.item(0).setSelected(True)
        dlg.restore_button.click()
        # the job restores, then audits, then the gallery reopens: wait for the audit row
        qtbot.waitUntil(lambda: win.engine is not None and any(
            e["mode"] == "restore" for e in win.engine.gallery.audit_entries()), timeout=30000)
        assert len(win.engine.gallery) == 1
        assert len(win.engine.gallery.rejected_crops()) == n_rejected - 1
    finally:
        win.close()
