"""The "Describe a person" dialog (pytest-qt, offscreen): chips, unknown words, and the search it starts."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from deepssh_gui.model.schema import PETA
from deepssh_gui.ui.attribute_panel import EXCLUDED, REQUIRED
from deepssh_gui.ui.describe_dialog import DescribeDialog, panel_terms
from tests.unit.ui.test_main_window import _open_window, _wait_results


def test_chips_follow_the_text_and_unknown_words_are_shown(qtbot):
    dlg = DescribeDialog(PETA)
    qtbot.addWidget(dlg)
    assert dlg.chips.count() == 0 and not dlg.buttons.button(QDialogButtonBox.Ok).isEnabled()
    dlg.edit.setText("woman with a zebra, no bag")
    terms = [dlg.chips.item(i).data(Qt.UserRole + 1)[0] for i in range(dlg.chips.count())]
    # "no bag" (neither of the bags) is shown as one excluded box per bag
    assert terms == ["not personalMale", "not carryingBackpack", "not carryingMessengerBag",
                     "not carryingPlasticBags", "not carryingOther"]
    assert "zebra" in dlg.unknown.text()
    dlg.edit.setText("man with a backpack, no bag")  # contradictory: the later term is left out, with a note
    assert dlg.query() == "personalMale, carryingBackpack" and "left out" in dlg.unknown.text()
    assert dlg.unknown.textFormat() == Qt.PlainText  # user words are never rendered as markup


def test_unticked_and_flipped_chips_change_the_query_and_contradictions_are_refused(qtbot):
    dlg = DescribeDialog(PETA, "man with a hat, jeans")
    qtbot.addWidget(dlg)
    assert dlg.query() == "personalMale, accessoryHat, lowerBodyJeans"
    dlg.chips.item(1).setCheckState(Qt.Unchecked)
    dlg._flip(dlg.chips.item(0))
    assert dlg.query() == "not personalMale, lowerBodyJeans"
    emitted = []
    dlg.described.connect(emitted.append)
    dlg.edit.setText("man, hat")
    dlg._flip(dlg.chips.item(1))
    dlg._flip(dlg.chips.item(1))
    dlg.buttons.accepted.emit()
    assert emitted == ["personalMale, accessoryHat"]


def test_panel_terms_expand_neither_terms_only():
    assert panel_terms("not carryingBackpack|carryingOther", PETA) == ["not carryingBackpack", "not carryingOther"]
    assert panel_terms("lowerBody:dark", PETA) == ["lowerBody:dark"]


def test_window_describe_ticks_the_panel_and_searches(qtbot, small_gallery):
    model, gallery = small_gallery
    win = _open_window(qtbot, model, gallery)
    try:
        win.show_error("unknown attribute 'backpack'")
        win.type_query()
        win.describe_dialog.edit.setText("backpack, dark lower-body, not a man")
        win.describe_dialog.buttons.accepted.emit()
        _wait_results(qtbot, win)
        assert win.attributes.state("carryingBackpack") == REQUIRED
        assert win.attributes.state("lowerBody:dark") == REQUIRED
        assert win.attributes.state("personalMale") == EXCLUDED
        assert win.status_query.text().startswith("attributes: 8 hits of 8")
        assert win.statusBar().currentMessage() == ""  # the earlier error is not left standing
    finally:
        win.close()


def test_weak_matches_are_counted_and_can_be_hidden(qtbot, small_gallery):
    from deepssh_gui.search.strength import strength

    model, gallery = small_gallery
    win = _open_window(qtbot, model, gallery)
    try:
        win.attributes.set_state("personalMale", REQUIRED)
        _wait_results(qtbot, win)
        shown = [strength(rh.hit, win.results.cut) for rh in win.results.hits]
        n_weak = shown.count("weak")
        assert f"{shown.count('likely')} likely, {n_weak} weak" in win.status_query.text()
        win.weak_action.trigger()  # hide weak matches
        assert len(win.results.hits) == 8 - n_weak
        assert all(strength(rh.hit, win.results.cut) != "weak" for rh in win.results.hits)
        assert "(weak hidden)" in win.status_query.text()
        win.weak_action.trigger()
        assert len(win.results.hits) == 8
    finally:
        win.close()


def test_reject_track_rejects_every_crop_of_the_track_and_audits_each(qtbot, tmp_path, model_with_decoder):
    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery
    from tests.conftest import ROOT

    m = load_model(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, str(ROOT / "resources" / "demo" / "vtest.avi"), camera="vtest")
    win = _open_window(qtbot, model_with_decoder, tmp_path / "g")
    try:
        win.attributes.set_state("personalMale", REQUIRED)
        _wait_results(qtbot, win)
        row = next(r for r, rh in enumerate(win.results.hits) if rh.meta.track is not None)
        rh = win.results.hits[row]
        track = win.engine.gallery.track_items(rh.meta.source, rh.meta.track)
        win.view.setCurrentIndex(win.results.index(row))
        win.reject_track()
        qtbot.waitUntil(lambda: all(win.results.marks.get(i) == "rejected" for i in track), timeout=10000)
        import json

        marks = [e for e in win.engine.gallery.audit_entries() if e["mode"] == "mark" and e["query"] == "rejected"]
        assert {json.loads(e["result_ids"])[0] for e in marks} == set(track) and len(track) >= 2
    finally:
        win.close()
