"""Time ingest's stages on a video: decoding alone, decoding + MOG2 in one thread, and the
threaded detection + tracking + crop choice per tracker (no encoding). Prints seconds.

usage: python tools/ingest_stages.py [VIDEO]   (default resources/demo/vtest.avi)
Measure on an idle machine: with another process on the cores the stages overlap differently.
"""

import sys
import time

from deepssh_gui.common.imageio import import_cv2
from deepssh_gui.ingest.video import TRACKERS, BackgroundDetector, iter_video_tracks


def main(video: str) -> None:
    cv2 = import_cv2()
    t = time.perf_counter()
    cap, n = cv2.VideoCapture(video), 0
    while cap.read()[0]:
        n += 1
    print(f"decode {n} frames: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    cap, det = cv2.VideoCapture(video), BackgroundDetector()
    while True:
        ok, img = cap.read()
        if not ok:
            break
        det(img)
    print(f"decode + mog2, one thread: {time.perf_counter() - t:.2f} s")
    for tracker in TRACKERS[:2]:
        t = time.perf_counter()
        for _ in iter_video_tracks(video, "mog2", tracker):
            pass
        print(f"detection | tracking ({tracker}) + crop choice, threaded: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "resources/demo/vtest.avi")
