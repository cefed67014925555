"""Camera and start time read from recorders' file names (ingest/names.py) and used by ingest."""

from datetime import datetime, timezone

import pytest

from deepssh_gui.ingest.names import footage_from_name

T = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc).timestamp()


@pytest.mark.parametrize("name, cam, start", [
    ("cam3_2026-11-24T08-00-00.mp4", "cam3", T),
    ("/footage/entrance 20261124_080000.avi", "entrance", T),
    ("lobby-2026-11-24 08.00.00.mkv", "lobby", T),
    ("2026-11-24T08-00-05.mp4", None, T + 5),
    ("cam3_2026-11-24T0800.mp4", "cam3", T),
    ("vtest.avi", None, None),
    ("cam1_2026-13-45T08-00-00.mp4", None, None),  # not a date
])
def test_footage_names(name, cam, start):
    assert footage_from_name(name) == (cam, start)


def test_ingest_takes_camera_and_time_from_the_name_unless_given(tmp_path, tiny_model_path):
    import shutil

    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.search.gallery import Gallery
    from tests.conftest import ROOT

    clip = shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "hall_2026-11-24T08-00-00.avi")
    other = shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "gate_2026-11-24T09-00-00.avi")
    m = load_model(tiny_model_path)
    with Gallery.create(tmp_path / "g", m) as g:
        build_from_video(g, m, str(clip))
        build_from_video(g, m, str(other), camera="north gate", start_time=T + 7)
        metas = g.items(range(len(g)))
    hall = [x for x in metas if x.camera == "hall"]
    gate = [x for x in metas if x.camera == "north gate"]
    assert hall and gate and len(hall) + len(gate) == len(metas)
    assert all(T <= x.timestamp < T + 80 for x in hall)
    assert all(T + 7 <= x.timestamp < T + 87 for x in gate)  # given values win over the name
