"""Write a contact sheet (PNG) of a gallery's crops, one row per track.

    python tools/contact_sheet.py GALLERY OUT.png [--max-tracks 40]
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

from PIL import Image, ImageDraw


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("gallery")
    ap.add_argument("out")
    ap.add_argument("--max-tracks", type=int, default=40)
    args = ap.parse_args()
    conn = sqlite3.connect(Path(args.gallery) / "gallery.sqlite")
    rows = conn.execute("SELECT track, frame, crop FROM items ORDER BY track, frame").fetchall()
    tracks: dict[int, list] = {}
    for t, f, crop in rows:
        tracks.setdefault(t, []).append((f, crop))
    tracks = dict(list(tracks.items())[: args.max_tracks])
    per_row = max(len(v) for v in tracks.values())
    cw, ch, cols = 48, 96, 4
    rows_per_col = (len(tracks) + cols - 1) // cols
    label_w = 40
    sheet = Image.new("RGB", (cols * (label_w + per_row * cw + 8), rows_per_col * (ch + 4)), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (t, crops) in enumerate(tracks.items()):
        x0 = (i // rows_per_col) * (label_w + per_row * cw + 8)
        y0 = (i % rows_per_col) * (ch + 4)
        draw.text((x0 + 2, y0 + ch // 2 - 5), f"t{t}", fill="black")
        for j, (f, crop) in enumerate(crops):
            im = Image.open(Path(args.gallery) / crop).convert("RGB").resize((cw, ch))  # stored relative
            sheet.paste(im, (x0 + label_w + j * cw, y0))
    sheet.save(args.out)
    print(f"{len(tracks)} tracks, {len(rows)} crops -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
