"""An exported report proves itself: standard sha256sum and `deepssh verify` catch tampering."""

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env=ENV)


@pytest.fixture()
def report(small_gallery, tmp_path):
    model, gallery = small_gallery
    r = _cli("export", "--gallery", gallery, "--model", model, "--attributes", "personalMale", "--top", 3,
             "--case-id", "CASE-2026-0042", "--examiner", "J. Doe <b>x</b>", "--out", tmp_path / "out" / "rep")
    assert r.returncode == 0, r.stderr
    return tmp_path / "out"


def test_the_report_names_case_and_examiner_and_lists_every_file(report):
    html = (report / "rep.html").read_text()
    assert "CASE-2026-0042" in html and "J. Doe &lt;b&gt;x&lt;/b&gt;" in html  # text, never markup
    assert "no model card" in html  # the tiny test model states no accuracy: the report says so
    crops = sorted((report / "rep.crops").iterdir())
    assert len(crops) == 3 and crops[0].name.startswith("rank001_item")
    listed = (report / "rep.sha256").read_text().splitlines()
    assert [ln.split("  ", 1)[1] for ln in listed] == ["rep.html", "rep.pdf"] + [f"rep.crops/{c.name}" for c in crops]
    assert len((report / "rep.sources.sha256").read_text().splitlines()) == 3


@pytest.mark.skipif(shutil.which("sha256sum") is None, reason="GNU coreutils sha256sum not installed")
def test_a_second_party_checks_it_with_sha256sum(report):
    r = subprocess.run(["sha256sum", "-c", "rep.sha256"], capture_output=True, text=True, cwd=report)
    assert r.returncode == 0 and r.stdout.count(": OK") == 5
    r = subprocess.run(["sha256sum", "-c", str(report / "rep.sources.sha256")], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.count(": OK") == 3


def test_verify_passes_then_fails_on_a_tampered_crop(report):
    r = _cli("verify", report / "rep.html")
    assert r.returncode == 0 and "verified: 8 checks" in r.stdout
    crop = sorted((report / "rep.crops").iterdir())[1]
    data = bytearray(crop.read_bytes())
    data[-1] ^= 0xFF
    crop.write_bytes(bytes(data))
    r = _cli("verify", report / "rep")
    assert r.returncode == 1 and f"MISMATCH           rep.crops/{crop.name}" in r.stdout
    assert "VERIFY FAILED: 1 of 8" in r.stderr


def test_verify_catches_a_swapped_crop_whose_manifest_was_redone(report):
    """A forger who replaces a crop and rewrites the manifest is caught: the report states the hashes."""
    import hashlib

    crops = sorted((report / "rep.crops").iterdir())
    shutil.copy(crops[0], crops[1])
    lines = (report / "rep.sha256").read_text().splitlines()
    fixed = [f"{hashlib.sha256(crops[1].read_bytes()).hexdigest()}  {ln.split('  ', 1)[1]}"
             if ln.endswith(crops[1].name) else ln for ln in lines]
    (report / "rep.sha256").write_text("\n".join(fixed) + "\n")
    r = _cli("verify", report / "rep.sha256")
    assert r.returncode == 1 and f"NOT IN REPORT      rep.crops/{crops[1].name}" in r.stdout


def test_verify_flags_changed_footage_and_tolerates_absent_footage(report, small_gallery):
    src = (report / "rep.sources.sha256").read_text().splitlines()
    first = src[0].split("  ", 1)[1]
    os.replace(first, first + ".moved")
    r = _cli("verify", report / "rep")
    assert r.returncode == 0 and "not available here" in r.stdout
    shutil.copy(src[1].split("  ", 1)[1], first)  # another file under the original name
    r = _cli("verify", report / "rep")
    assert r.returncode == 1 and "MISMATCH" in r.stdout


def test_verify_refuses_what_is_not_a_report(tmp_path):
    (tmp_path / "x.sha256").write_text("not a manifest\n")
    r = _cli("verify", tmp_path / "x.sha256")
    assert r.returncode == 2 and "is not a sha256sum manifest" in r.stderr
    r = _cli("verify", tmp_path / "nothing.html")
    assert r.returncode == 2 and "no evidence manifest" in r.stderr


def test_a_model_card_is_printed_as_text(small_gallery, tmp_path):
    from deepssh_gui.learn.checkpoint import load_model, resave

    model, gallery = small_gallery
    m = load_model(model)
    resave(m, meta=dict(m.meta, card={"unseen cameras": "rank-1 27.0 <i>GRID</i>", "licence": "research only"}))
    r = _cli("export", "--gallery", gallery, "--model", model, "--attributes", "personalMale", "--top", 1,
             "--out", tmp_path / "rep")
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "rep.html").read_text()
    assert "<b>unseen cameras:</b> rank-1 27.0 &lt;i&gt;GRID&lt;/i&gt;" in html and "research only" in html


def test_a_moved_gallery_finds_its_footage_beside_it_only_if_the_hash_matches(tmp_path):
    from deepssh_gui.search.evidence import find_source
    from deepssh_gui.search.gallery import sha256_file

    (tmp_path / "copy" / "gallery").mkdir(parents=True)
    original = tmp_path / "cam1.avi"
    original.write_bytes(b"footage")
    sha = sha256_file(original)
    gone = str(tmp_path / "elsewhere" / "cam1.avi")
    assert find_source(str(original), sha, tmp_path / "copy" / "gallery") == str(original)
    assert find_source(gone, sha, tmp_path / "copy" / "gallery") is None
    (tmp_path / "copy" / "cam1.avi").write_bytes(b"other footage")  # same name, other content: never used
    assert find_source(gone, sha, tmp_path / "copy" / "gallery") is None
    (tmp_path / "copy" / "gallery" / "cam1.avi").write_bytes(b"footage")
    assert find_source(gone, sha, tmp_path / "copy" / "gallery") == str(tmp_path / "copy" / "gallery" / "cam1.avi")
