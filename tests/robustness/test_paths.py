"""Stored paths stay inside the gallery and its recorded source folders; links out are not followed."""

import os
import sqlite3

import pytest

from deepssh_gui.common.errors import DeepSSHError
from deepssh_gui.ingest.folder import load_folder
from deepssh_gui.search.engine import SearchEngine, SearchRequest
from deepssh_gui.search.gallery import Gallery
from tests.conftest import write_png


@pytest.mark.parametrize("column", ["crop", "thumb", "source"])
@pytest.mark.parametrize("forged", ["/etc/passwd", "../../../../../../etc/hostname", "thumbs/../../../../etc/hostname"])
def test_metadata_edited_to_point_outside_is_refused_on_open(small_gallery, column, forged):
    model, gallery = small_gallery
    conn = sqlite3.connect(gallery / "gallery.sqlite")
    with conn:
        conn.execute(f"UPDATE items SET {column} = ? WHERE id = 0", (forged,))
    conn.close()
    with pytest.raises(DeepSSHError, match="outside the gallery.*refused"):
        SearchEngine(gallery, model)


def test_a_path_that_leaves_the_recorded_folders_is_refused_when_used(small_gallery):
    """Belt and braces: resolve() itself refuses, whatever the open-time check let through."""
    model, gallery = small_gallery
    eng = SearchEngine(gallery, model)
    try:
        with pytest.raises(DeepSSHError, match="outside the gallery and its recorded source folders; refused"):
            eng.gallery.resolve("/etc/passwd")
        assert eng.search(SearchRequest(attributes="personalMale", top=8)).hits
    finally:
        eng.close()


def test_legitimate_paths_outside_the_gallery_folder_still_work(small_gallery):
    """Folder crops live where they are (outside the gallery): their folder is a recorded root."""
    model, gallery = small_gallery
    with Gallery.open(gallery, read_only=True) as g:
        metas = g.items(range(len(g)))
        assert all(os.path.isfile(m.crop) for m in metas)
        assert not any(m.crop.startswith(str(gallery)) for m in metas)


def test_symlinks_leaving_the_input_folder_are_not_followed(tmp_path):
    outside = write_png(tmp_path / "private" / "secret.png", (1, 2, 3))
    src = tmp_path / "input"
    write_png(src / "ok.png", (4, 5, 6))
    (src / "sub").mkdir()
    os.symlink(outside, src / "leak.png")
    os.symlink(tmp_path / "private", src / "sub" / "linked_dir")
    os.symlink(src / "ok.png", src / "inside_link.png")  # a link that stays inside is fine
    got = sorted(os.path.basename(p) for p in load_folder(src))
    assert got == ["inside_link.png", "ok.png"]


def test_a_gallery_built_from_a_file_list_opens_again(model_with_decoder, crops_dir, tmp_path):
    """Listed files live in several folders: each is recorded, so the gallery is not refused later."""
    from deepssh_gui.ingest.build import build_from_images
    from deepssh_gui.model.modelfile import load_model_file

    listing = tmp_path / "list.txt"
    listing.write_text("\n".join(str(p) for p in sorted(crops_dir.rglob("*.png"))))
    m = load_model_file(model_with_decoder)
    with Gallery.create(tmp_path / "g", m) as g:
        assert build_from_images(g, m, str(listing)).added == 8
    eng = SearchEngine(tmp_path / "g", model_with_decoder)
    try:
        res = eng.search(SearchRequest(attributes="personalMale", top=8))
        # its folders were recorded at build time, not guessed as for a gallery from an older version
        assert len(res.hits) == 8 and not res.notes
    finally:
        eng.close()
