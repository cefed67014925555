"""``deepssh search --describe`` and ``deepssh evaluate-describe``."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", *args], capture_output=True, text=True, cwd=ROOT)


def test_search_describe_prints_the_parsed_query_and_unknown_words(small_gallery):
    model, gallery = small_gallery
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--describe",
             "woman with a backpack and a zebra, no hat", "--json")
    assert r.returncode == 0, r.stderr
    assert "understood: not personalMale, carryingBackpack, not accessoryHat" in r.stderr
    assert "not understood: zebra" in r.stderr
    assert json.loads(r.stdout)["query"] == "not personalMale, carryingBackpack, not accessoryHat"


def test_search_describe_with_nothing_understood_is_a_clear_error(small_gallery):
    model, gallery = small_gallery
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--describe", "zebra giraffe")
    assert r.returncode == 2 and "no attribute found" in r.stderr and "Traceback" not in r.stderr
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--describe", "man", "--attributes", "hat")
    assert r.returncode == 2 and "not both" in r.stderr


def test_evaluate_describe_reports_figures(tmp_path):
    s = tmp_path / "set.tsv"
    s.write_text("# comment\n1\tman with a backpack\tpersonalMale, carryingBackpack\n2\twoman\tnot personalMale, hairLong\n")
    r = _cli("evaluate-describe", "--set", str(s), "--out", str(tmp_path / "r.json"))
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "r.json").read_text())
    assert rep["cases"] == 2 and rep["exact_match"] == 0.5 and rep["term_recall"] == 0.75
    bad = tmp_path / "bad.tsv"
    bad.write_text("only one column\n")
    r = _cli("evaluate-describe", "--set", str(bad))
    assert r.returncode == 2 and "3 tab-separated columns" in r.stderr


def test_search_reports_likely_and_weak_and_can_hide_weak(small_gallery):
    model, gallery = small_gallery
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale", "--json")
    full = json.loads(r.stdout)
    strengths = [h["strength"] for h in full["hits"]]
    assert set(strengths) <= {"likely", "weak"} and len(strengths) == 8
    assert full["strength_counts"]["weak"] == strengths.count("weak")
    for h in full["hits"]:  # the rule: P(query) >= 0.5 is likely
        assert (h["strength"] == "likely") == (h["query_probability"] >= 0.5)
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale", "--json",
             "--hide-weak")
    hidden = json.loads(r.stdout)
    assert [h["id"] for h in hidden["hits"]] == [h["id"] for h in full["hits"] if h["strength"] == "likely"]
    r = _cli("search", "--gallery", str(gallery), "--model", str(model), "--attributes", "personalMale")
    assert f"{strengths.count('likely')} likely, {strengths.count('weak')} weak" in r.stdout


def test_export_takes_a_description(small_gallery, tmp_path):
    model, gallery = small_gallery
    r = _cli("export", "--gallery", str(gallery), "--model", str(model), "--describe", "a woman without a hat",
             "--ranks", "1", "--out", str(tmp_path / "rep" / "r"))
    assert r.returncode == 0, r.stderr
    assert "understood: not personalMale, not accessoryHat" in r.stderr
    assert "not personalMale, not accessoryHat" in (tmp_path / "rep" / "r.html").read_text()
