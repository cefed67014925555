"""Derived files (index, attribute columns, logit bytes) are checked, never trusted blindly."""

import numpy as np
import pytest

from deepssh_gui.search.engine import SearchEngine, SearchRequest


def _flip(path, offset_from_end=40):
    data = bytearray(path.read_bytes())
    data[-offset_from_end] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("name, offset", [("index.faiss", 40), ("attr_columns.npy", 3), ("attr_logits.npy", 3),
                                          ("attr_columns.npy", None)])
def test_damaged_derived_file_is_rebuilt_with_a_message(small_gallery, name, offset):
    model, gallery = small_gallery
    eng = SearchEngine(gallery, model)
    want = eng.search(SearchRequest(attributes="personalMale, carryingBackpack", probe_code=eng.gallery.codes[2], top=8))
    eng.gallery.attr_logits  # noqa: B018 - make sure the logit file exists
    eng.close()
    path = gallery / name
    if offset is None:  # a damaged .npy header: used to crash every search with a traceback
        data = bytearray(path.read_bytes())
        data[10:20] = b"garbage!!!"
        path.write_bytes(bytes(data))
    else:
        _flip(path, offset)
    eng = SearchEngine(gallery, model)
    try:
        got = eng.search(SearchRequest(attributes="personalMale, carryingBackpack", probe_code=eng.gallery.codes[2],
                                       top=8))
        assert [h.hit.index for h in got.hits] == [h.hit.index for h in want.hits]
        assert [h.hit.score for h in got.hits] == pytest.approx([h.hit.score for h in want.hits])
        assert any("rebuilt from its database" in n and name in n for n in got.notes)
        again = eng.search(SearchRequest(attributes="personalMale", top=3))
        assert not any("rebuilt" in n for n in again.notes)  # said once
    finally:
        eng.close()
    eng = SearchEngine(gallery, model)  # the rebuilt files carry fresh checksums
    try:
        assert not any("rebuilt" in n for n in eng.search(SearchRequest(attributes="personalMale", top=3)).notes)
        assert np.array_equal(np.load(gallery / "attr_columns.npy"), eng.gallery.attr_columns.columns)
    finally:
        eng.close()
