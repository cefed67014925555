"""Video ingestion: detection + tracking on a generated clip, truncation, and the real vtest.avi."""

import json

import numpy as np
import pytest

from deepssh_gui.search.gallery import Gallery
from deepssh_gui.common.imageio import import_cv2
from deepssh_gui.ingest.build import build_from_video
from deepssh_gui.ingest.video import DetectedFrames, IouTracker, VideoReport, iter_video_tracks
from tests.conftest import VIDEO, need


def _make_clip(path, frames=60, people=2):
    """A static textured background with tall rectangles walking across it."""
    cv2 = import_cv2()
    rng = np.random.default_rng(0)
    bg = rng.integers(90, 110, (240, 320, 3), dtype=np.uint8)
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for f in range(frames):
        fr = bg.copy()
        for p in range(people):
            x = 10 + 4 * f + 120 * p
            y = 60 + 30 * p
            fr[y:y + 90, x % 280:x % 280 + 36] = (30 + 150 * p, 60, 200 - 150 * p)
        vw.write(fr)
    vw.release()
    return path


@pytest.mark.parametrize("tracker", ["kalman", "deepsort", "iou"])
def test_tracks_on_generated_clip(tmp_path, tracker):
    clip = _make_clip(tmp_path / "clip.avi")
    rep = VideoReport()
    crops = [c for _, cs, _ in iter_video_tracks(str(clip), "mog2", tracker, report=rep) for c in cs]
    assert rep.frames_read == 60 and not rep.damaged
    assert 1 <= rep.tracks <= 4  # two walkers (a track may split once at the frame edge)
    assert all(c.crop_bgr.shape[0] > c.crop_bgr.shape[1] for c in crops)
    assert len({c.track for c in crops}) == rep.tracks


def test_truncated_video_is_ingested_up_to_the_damage(tmp_path, tiny_model_path):
    from deepssh_gui.learn.checkpoint import load_model

    clip = _make_clip(tmp_path / "clip.avi", frames=80)
    data = clip.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    m = load_model(tiny_model_path)
    with Gallery.create(tmp_path / "g", m) as g:
        rep = build_from_video(g, m, str(cut), camera="cam A")
        assert rep.video.frames_read < 80
        assert rep.video.damaged and "truncated" in rep.video.notes[0]
        assert len(g) == rep.added > 0
        src = g.sources()[0]
        assert src["status"] == "done" and "truncated" in src["detail"]
        meta = g.items([0])[0]
        assert meta.camera == "cam A" and meta.frame is not None and meta.bbox is not None
        assert meta.timestamp == pytest.approx(meta.frame / 10)


def test_iou_tracker_keeps_identity():
    from deepssh_gui.ingest.video import Detection

    t = IouTracker()
    a = t.update([Detection((10, 10, 20, 50), 1.0)], None, 0)
    b = t.update([Detection((12, 10, 20, 50), 1.0), Detection((200, 10, 20, 50), 1.0)], None, 1)
    assert a[0][0] == b[0][0] and b[1][0] != a[0][0]


def test_real_vtest_yields_person_tracks(tmp_path):
    clip = need(VIDEO)
    rep = VideoReport()
    n = sum(len(cs) for _, cs, _ in iter_video_tracks(str(clip), report=rep))
    assert rep.frames_read == 795 and not rep.damaged
    assert rep.tracks >= 15 and n >= 3 * 15 * 0.8


def test_video_ingest_cancel_and_resume(tmp_path, tiny_model_path):
    from deepssh_gui.learn.checkpoint import load_model
    from deepssh_gui.common.progress import Cancelled

    clip = _make_clip(tmp_path / "clip.avi", frames=160, people=1)
    m = load_model(tiny_model_path)
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > 120  # stop part-way through the clip

    with Gallery.create(tmp_path / "g", m) as g:
        with pytest.raises(Cancelled):
            build_from_video(g, m, str(clip), cancel=cancel)
        src = g.sources()
        kept = len(g)
        state = json.loads(src[0]["detail"])
        assert src[0]["status"] == "partial" and state["frame"] > 0 and kept > 0
        assert (state["detector"], state["tracker"], state["best_per_track"]) == ("mog2", "kalman", 3)
        rep = build_from_video(g, m, str(clip))
        assert g.sources()[0]["status"] == "done"
        assert len(g) == kept + rep.added and len(g) > 0
        # a third run finds the source done and adds nothing
        assert build_from_video(g, m, str(clip)).skipped_done == 1


def test_user_onnx_detector_through_cv2_dnn(tmp_path):
    """A YOLOv5-layout ONNX file (written here with torch.onnx) is read by cv2.dnn and parsed."""
    pytest.importorskip("onnx")
    import torch

    from deepssh_gui.ingest.video import make_detector

    class Det(torch.nn.Module):
        def forward(self, x):  # one person box (cx, cy, w, h, objectness, class 0) in 640x640 input space
            return x.mean() * 0 + torch.tensor([[[320.0, 320.0, 100.0, 250.0, 0.9, 0.95],
                                                 [100.0, 100.0, 20.0, 20.0, 0.1, 0.2]]])

    path = tmp_path / "det.onnx"
    torch.onnx.export(Det(), torch.zeros(1, 3, 640, 640), str(path), dynamo=False, opset_version=13)
    det = make_detector(str(path))
    found = det(np.zeros((480, 640, 3), np.uint8))
    assert len(found) == 1
    x, y, w, h = found[0].box
    assert (x, y, w, h) == (270, 146, 100, 187)  # scaled back to the 640x480 frame
    assert found[0].score == pytest.approx(0.855, abs=1e-3)


class _FakeCapture:
    """A capture of ``n`` numbered 4x4 frames that records grabs, reads and release."""

    def __init__(self, n: int) -> None:
        self.n, self.pos, self.read_calls, self.released = n, 0, 0, False

    def grab(self) -> bool:
        self.pos += 1
        return self.pos <= self.n

    def read(self):
        self.read_calls += 1
        self.pos += 1
        if self.pos > self.n:
            return False, None
        return True, np.full((4, 4, 3), self.pos - 1, np.uint8)

    def release(self) -> None:
        self.released = True


def test_detected_frames_in_order_from_the_start_frame():
    seen = []

    def detector(frame):
        seen.append(int(frame[0, 0, 0]))  # the background model sees the 50 frames before the start
        return []

    cap = _FakeCapture(120)
    frames = DetectedFrames(cap, detector, start_frame=80, ahead=2)
    got = [(n, int(f[0, 0, 0])) for n, f, _ in frames]
    assert got == [(n, n) for n in range(80, 120)]
    assert seen == list(range(30, 120))
    assert cap.read_calls == 91  # 90 frames and the failed read at the end
    assert frames.frames_read == 120 and cap.released


def test_detector_error_is_raised_on_the_calling_thread():
    def detector(frame):
        if frame[0, 0, 0] == 5:
            raise RuntimeError("detector broke on frame 5")
        return []

    cap = _FakeCapture(50)
    with pytest.raises(RuntimeError, match="frame 5"):
        for _ in DetectedFrames(cap, detector, ahead=2):
            pass
    assert cap.released


def test_abandoned_iteration_stops_the_workers():
    import threading

    cap = _FakeCapture(10_000)
    it = iter(DetectedFrames(cap, lambda f: [], ahead=2))
    next(it)
    it.close()  # what a cancelled ingest does
    assert cap.released and cap.read_calls < 100
    assert not [t for t in threading.enumerate() if t.name.startswith("deepssh-video-")]


def test_cancel_and_resume_gives_the_crops_of_an_uninterrupted_build(tmp_path, tiny_model_path):
    """Issue #22: a build cancelled part-way and resumed equals an uninterrupted one (the demo footage)."""
    import shutil

    from deepssh_gui.common.progress import Cancelled
    from deepssh_gui.learn.checkpoint import load_model
    from tests.conftest import ROOT

    video = shutil.copy(ROOT / "resources" / "demo" / "vtest.avi", tmp_path / "v.avi")
    m = load_model(tiny_model_path)

    def crops(g):
        return sorted((x.frame, x.bbox, x.track) for x in g.items(range(len(g))))

    with Gallery.create(tmp_path / "whole", m) as g:
        build_from_video(g, m, str(video))
        whole = crops(g)
    with Gallery.create(tmp_path / "resumed", m) as g:
        with pytest.raises(Cancelled):
            build_from_video(g, m, str(video), cancel=_cancel_after(200))  # about a quarter of the clip
        assert g.sources()[0]["status"] == "partial" and 0 < len(g) < len(whole)
        build_from_video(g, m, str(video))
        assert crops(g) == whole


def test_resume_after_the_video_was_replaced_is_refused(tmp_path, tiny_model_path):
    import shutil

    from deepssh_gui.common.errors import DeepSSHError
    from deepssh_gui.common.progress import Cancelled
    from deepssh_gui.learn.checkpoint import load_model

    clip = _make_clip(tmp_path / "clip.avi", frames=160, people=1)
    m = load_model(tiny_model_path)
    with Gallery.create(tmp_path / "g", m) as g:
        with pytest.raises(Cancelled):
            build_from_video(g, m, str(clip), cancel=_cancel_after(120))
        kept = len(g)
        shutil.copy(_make_clip(tmp_path / "other.avi", frames=100, people=2), clip)  # another file, same name
        with pytest.raises(DeepSSHError, match="changed since its interrupted build"):
            build_from_video(g, m, str(clip))
        assert len(g) == kept


def _cancel_after(n: int):
    """A cancel callback that answers True from its (n + 1)-th call on."""
    calls = {"n": 0}

    def cancel():
        calls["n"] += 1
        return calls["n"] > n
    return cancel


def test_a_resume_keeps_the_settings_it_started_with_and_refuses_others(tmp_path, tiny_model_path):
    from deepssh_gui.common.errors import DeepSSHError
    from deepssh_gui.common.progress import Cancelled
    from deepssh_gui.learn.checkpoint import load_model

    clip = _make_clip(tmp_path / "clip.avi", frames=160, people=1)
    m = load_model(tiny_model_path)
    with Gallery.create(tmp_path / "g", m) as g:
        with pytest.raises(Cancelled):
            build_from_video(g, m, str(clip), tracker="iou", best_per_track=2, cancel=_cancel_after(120))
        kept = len(g)
        with pytest.raises(DeepSSHError, match="--tracker kalman .it was built with iou"):
            build_from_video(g, m, str(clip), tracker="kalman")
        assert len(g) == kept and g.sources()[0]["status"] == "partial"
        build_from_video(g, m, str(clip))  # nothing asked: the recorded iou tracker, 2 crops per track
        assert g.sources()[0]["status"] == "done"
        per_track = {}
        for x in g.items(range(len(g))):
            per_track[x.track] = per_track.get(x.track, 0) + 1
        assert max(per_track.values()) <= 2


def test_a_partial_build_from_before_settings_were_recorded_resumes_with_that_time_s_defaults():
    from deepssh_gui.ingest.build import _partial_state

    assert _partial_state("412") == (412, {"detector": "mog2", "tracker": "deepsort", "best_per_track": 3})
    assert _partial_state('{"frame": 7, "detector": "hog", "tracker": "iou", "best_per_track": 5}') == (
        7, {"detector": "hog", "tracker": "iou", "best_per_track": 5})
