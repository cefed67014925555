"""Routes across cameras from confirmed hits (search/route.py) and ``deepssh route``."""

import json
import subprocess
import sys

from deepssh_gui.search.gallery import ItemMeta
from deepssh_gui.search.route import build_route, confirmed_in_audit
from tests.conftest import ROOT

T0 = 1_790_000_000.0  # an absolute time (2026)


def _m(i, cam, t):
    return ItemMeta(i, f"c{i}.jpg", None, f"{cam}.mp4", "0" * 64, cam, 10 * i, t, (0, 0, 10, 20), 1, None)


def test_sightings_are_runs_per_camera_in_time_order_with_gaps():
    metas = [_m(5, "hall", T0 + 300), _m(1, "door", T0), _m(2, "door", T0 + 4), _m(7, "hall", T0 + 310),
             _m(9, "door", T0 + 900), _m(3, None, None)]
    r = build_route(metas)
    assert r.cameras == ["door", "hall", "door"]
    assert [s.items for s in r.sightings] == [(1, 2), (5, 7), (9,)]
    assert (r.sightings[0].first, r.sightings[0].last) == (T0, T0 + 4)
    assert [g.gap_seconds for g in r.legs] == [296.0, 590.0]
    assert r.undated == (3,) and not r.notes
    text = "\n".join(r.lines())
    assert "-> hall after 4.9 min" in text and "without a time: items 3" in text


def test_relative_times_across_cameras_and_alternation_are_flagged():
    r = build_route([_m(1, "a", 5.0), _m(2, "b", 7.0)])
    assert any("not reliable" in n for n in r.notes)
    r = build_route([_m(1, "a", T0), _m(2, "b", T0 + 10), _m(3, "a", T0 + 20)])
    assert any("alternate within a minute" in n for n in r.notes)


def test_equal_times_keep_item_order():
    r = build_route([_m(4, "a", T0), _m(2, "b", T0)])
    assert r.cameras == ["b", "a"]  # item 2 before item 4


def test_confirmed_follows_the_latest_mark():
    rows = [{"mode": "mark", "query": "confirmed", "result_ids": "[1]"},
            {"mode": "mark", "query": "confirmed", "result_ids": "[2]"},
            {"mode": "search", "query": "x", "result_ids": "[1, 2, 3]"},
            {"mode": "mark", "query": "rejected", "result_ids": "[2]"},
            {"mode": "mark", "query": "confirmed", "result_ids": "[4]"},
            {"mode": "mark", "query": "cleared", "result_ids": "[4]"}]
    assert confirmed_in_audit(rows) == [1]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_route_cli_is_audited_and_refuses_unknown_items(small_gallery):
    from deepssh_gui.search.engine import SearchEngine

    model, gallery = small_gallery
    r = _cli("route", "--gallery", str(gallery), "--model", str(model), "--ids", "0,3,5", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["undated"] == [0, 3, 5] and out["audit_id"] is not None  # crops from a folder have no time
    eng = SearchEngine(gallery, model)
    try:
        row = eng.gallery.audit_entries()[-1]
        assert row["mode"] == "route" and json.loads(row["result_ids"]) == [0, 3, 5]
        eng.record_mark(2, "confirmed")
    finally:
        eng.close()
    r = _cli("route", "--gallery", str(gallery), "--model", str(model), "--confirmed")
    assert r.returncode == 0 and "route through 1 items" in r.stdout
    r = _cli("route", "--gallery", str(gallery), "--model", str(model), "--ids", "0,999")
    assert r.returncode == 2 and "no item with id 999" in r.stderr
