"""Propose identities for the hand-labelled boxes of resources/eval/vtest_people.csv (issue #22).

The labels mark every visible person on 100 frames but say nothing of who is who across
frames. This tool proposes links between consecutive labelled frames in two independent ways
and writes both, so that a person only has to look at the links the two disagree on:

- motion: each trajectory's centre moves on at its last velocity; boxes are assigned by the
  distance from that prediction in box heights, plus the change in height (optimal assignment,
  gated at ``--gate`` heights);
- follow: each labelled box is followed through the unlabelled frames in between by OpenCV's
  MIL tracker, and assigned to the labelled box it lands on by IoU (gated at 0.3).

Output: a CSV like the input whose person column is a trajectory id, following the motion links
except where ``--fixes`` (links decided by eye on crops) says otherwise; a fix may also mark a
box's person unknown (0). It prints the links where the two methods disagree, and with
``--sheets DIR`` writes a strip of crops per trajectory for checking by eye.

usage: python tools/propose_identities.py [--labels CSV] [--video AVI] --out CSV [--sheets DIR] [--fixes CSV]
"""

from __future__ import annotations

import argparse
import csv
import os

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment


def read_rows(path: str) -> tuple[list[str], list[list[int]]]:
    head, rows = [], []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#"):
                head.append(line.rstrip("\n"))
            elif line.strip():
                rows.append([int(v) for v in line.split(",")])
    return head, rows


def iou(a, b) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / max(1, a[2] * a[3] + b[2] * b[3] - inter)


def motion_links(frames: dict[int, list[tuple]], gate: float) -> dict[tuple[int, int], tuple[int, int]]:
    """``{(frame, index): (previous frame, index)}`` by constant-velocity prediction."""
    order = sorted(frames)
    links: dict[tuple[int, int], tuple[int, int]] = {}
    vel: dict[tuple[int, int], np.ndarray] = {}
    for f0, f1 in zip(order[:-1], order[1:]):
        a, b = frames[f0], frames[f1]
        gap = f1 - f0
        cost = np.full((len(a), len(b)), 1e6)
        for i, ba in enumerate(a):
            ca = np.array([ba[0] + ba[2] / 2, ba[1] + ba[3] / 2])
            pred = ca + vel.get((f0, i), np.zeros(2)) * gap
            for j, bb in enumerate(b):
                cb = np.array([bb[0] + bb[2] / 2, bb[1] + bb[3] / 2])
                h = (ba[3] + bb[3]) / 2
                d = np.linalg.norm(pred - cb) / h + abs(np.log(bb[3] / ba[3]))
                if d <= gate:
                    cost[i, j] = d
        rows, cols = linear_sum_assignment(cost)
        for i, j in zip(rows, cols):
            if cost[i, j] < 1e6:
                links[(f1, j)] = (f0, i)
                ba, bb = a[i], b[j]
                vel[(f1, j)] = (np.array([bb[0] + bb[2] / 2, bb[1] + bb[3] / 2])
                                - np.array([ba[0] + ba[2] / 2, ba[1] + ba[3] / 2])) / gap
    return links


def follow_links(video: str, frames: dict[int, list[tuple]]) -> dict[tuple[int, int], tuple[int, int]]:
    """``{(frame, index): (previous frame, index)}`` by following each box with the MIL tracker."""
    order = sorted(frames)
    cap = cv2.VideoCapture(video)
    imgs = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        imgs.append(img)
    cap.release()
    links: dict[tuple[int, int], tuple[int, int]] = {}
    for f0, f1 in zip(order[:-1], order[1:]):
        a, b = frames[f0], frames[f1]
        moved = []
        for box in a:
            t = cv2.TrackerMIL_create()
            t.init(imgs[f0], tuple(int(v) for v in box))
            cur = box
            for f in range(f0 + 1, f1 + 1):
                ok, r = t.update(imgs[f])
                if ok:
                    cur = tuple(int(v) for v in r)
            moved.append(cur)
        m = np.array([[iou(p, q) for q in b] for p in moved]).reshape(len(a), len(b))
        rows, cols = linear_sum_assignment(-m)
        for i, j in zip(rows, cols):
            if m[i, j] >= 0.3:
                links[(f1, j)] = (f0, i)
    return links


def read_fixes(path: str) -> tuple[dict[tuple[int, int], tuple[int, int] | None], set[tuple[int, int]]]:
    """Links decided by eye: ``({box: previous box or None}, {boxes whose person is unknown})``."""
    links: dict[tuple[int, int], tuple[int, int] | None] = {}
    unknown: set[tuple[int, int]] = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            v = line.strip().split(",")
            key = (int(v[0]), int(v[1]))
            if v[2] in ("-", "new"):  # unknown person, or a new trajectory starts here
                if v[2] == "-":
                    unknown.add(key)
                links[key] = None
            else:
                links[key] = (int(v[2]), int(v[3]))
    return links, unknown


def trajectories(frames, links, unknown=frozenset()) -> dict[tuple[int, int], int]:
    """Trajectory id per box, following ``links``; boxes in ``unknown`` get 0 and pass on nothing."""
    ids: dict[tuple[int, int], int] = {}
    nxt = 1
    for f in sorted(frames):
        for j in range(len(frames[f])):
            prev = links.get((f, j))
            if (f, j) in unknown:
                ids[(f, j)] = 0
            elif prev is not None and ids.get(prev, 0) > 0:
                ids[(f, j)] = ids[prev]
            else:
                ids[(f, j)] = nxt
                nxt += 1
    return ids


def strip(imgs_at, keys, frames, path: str) -> None:
    tiles = []
    for f, j in keys:
        x, y, w, h = frames[f][j]
        img = imgs_at(f)
        crop = img[max(0, y):y + h, max(0, x):x + w]
        crop = cv2.resize(crop, (48, 112))
        cv2.putText(crop, str(f), (1, 10), cv2.FONT_HERSHEY_PLAIN, 0.8, (0, 255, 255), 1)
        tiles.append(crop)
    cv2.imwrite(path, np.hstack(tiles))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--labels", default="resources/eval/vtest_people.csv")
    p.add_argument("--video", default="resources/demo/vtest.avi")
    p.add_argument("--out", required=True)
    p.add_argument("--gate", type=float, default=0.8)
    p.add_argument("--sheets")
    p.add_argument("--no-follow", action="store_true", help="skip the follow proposal (minutes)")
    p.add_argument("--fixes", help="links decided by eye (resources/eval/vtest_identity_fixes.csv)")
    a = p.parse_args()
    head, rows = read_rows(a.labels)
    frames: dict[int, list[tuple]] = {}
    where = []
    for r in rows:
        frames.setdefault(r[0], []).append(tuple(r[2:6]))
        where.append((r[0], len(frames[r[0]]) - 1))
    mot = motion_links(frames, a.gate)
    fol = mot if a.no_follow else follow_links(a.video, frames)
    fixed, unknown = read_fixes(a.fixes) if a.fixes else ({}, set())
    # a box linked to by a fix is taken from whatever motion gave it; then the fixes apply
    taken = {v for v in fixed.values() if v is not None}
    chosen = {k: v for k, v in mot.items() if v not in taken}
    chosen.update({k: v for k, v in fixed.items() if v is not None})
    for k in fixed:
        if fixed[k] is None:
            chosen.pop(k, None)
    ids = trajectories(frames, chosen, unknown)
    keys = sorted(set(mot) | set(fol))
    odd = [k for k in keys if mot.get(k) != fol.get(k)]
    print(f"{len(rows)} boxes; motion links {len(mot)}, follow links {len(fol)}, disagreements {len(odd)}")
    with open(a.out, "w", encoding="utf-8") as fh:
        for line in head:
            fh.write(line + "\n")
        for r, k in zip(rows, where):
            fh.write(",".join(str(v) for v in [r[0], ids[k], *r[2:6]]) + "\n")
    if a.sheets:
        os.makedirs(a.sheets, exist_ok=True)
        cap = cv2.VideoCapture(a.video)

        def at(f):
            cap.set(cv2.CAP_PROP_POS_FRAMES, f)
            return cap.read()[1]

        for k in odd:
            print(f"frame {k[0]} box {k[1]} {frames[k[0]][k[1]]}: motion <- {mot.get(k)}, follow <- {fol.get(k)}")
        by: dict[int, list] = {}
        for k, t in ids.items():
            by.setdefault(t, []).append(k)
        for t, ks in by.items():
            if len(ks) >= 2:
                for s in range(0, len(ks), 24):
                    strip(at, sorted(ks)[s:s + 24], frames, os.path.join(a.sheets, f"id{t:03d}_{s // 24}.png"))


if __name__ == "__main__":
    main()
