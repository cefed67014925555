"""Regenerate resources/demo/crops from the bundled vtest.avi with OpenCV's HOG people detector.

    python tools/make_demo_crops.py [--every 20]

The crops are the bundled demo data for ``make run`` (python -m deepssh_gui).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from deepssh_gui.common.imageio import import_cv2  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--video", default=str(ROOT / "resources" / "demo" / "vtest.avi"))
    ap.add_argument("--out", default=str(ROOT / "resources" / "demo" / "crops"))
    ap.add_argument("--every", type=int, default=20)
    args = ap.parse_args()
    cv2 = import_cv2()
    hog = cv2.HOGDescriptor()
    hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
    cap = cv2.VideoCapture(args.video)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame_no, n = 0, 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if frame_no % args.every == 0:
            rects, weights = hog.detectMultiScale(frame, winStride=(8, 8), padding=(8, 8), scale=1.05)
            for i, ((x, y, w, h), s) in enumerate(zip(rects, weights.ravel())):
                if s < 0.8 or h < 96:
                    continue
                crop = frame[max(0, y):y + h, max(0, x):x + w]
                cv2.imwrite(str(out / f"vtest_f{frame_no:04d}_d{i}.jpg"), crop, [cv2.IMWRITE_JPEG_QUALITY, 92])
                n += 1
        frame_no += 1
    print(f"{n} crops from {frame_no} frames written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
