"""Junk crops in the top 20 of probe and attribute queries, without and with the person filter.

usage: python tools/junk_in_top20.py MODEL [VIDEO] [LABELS]
(defaults: resources/demo/vtest.avi and resources/eval/person_crops/labels.csv)

Builds the video into two temporary galleries (``--no-person-filter`` and the default), runs
the same five queries on both (three attribute queries, two probe photos of people) and counts
the crops hand-labelled "junk" among each top 20. Crops are matched to the labels by their
file name (track and frame): both builds use the detector and tracker that cut the labelled crops
(``mog2-blobs`` and ``deepsort``), not today's defaults. Prints JSON.
"""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from pathlib import Path

QUERIES = [{"attributes": "personalMale"}, {"attributes": "upperBodyBlack, lowerBodyJeans"},
           {"attributes": "carryingBackpack"}, {"probe": "t00001_f000017.jpg"}, {"probe": "t00032_f000511.jpg"}]


def main(argv: list[str]) -> int:
    from deepssh_gui.ingest.build import build_from_video
    from deepssh_gui.model.modelfile import load_model_file
    from deepssh_gui.search.engine import SearchEngine, SearchRequest
    from deepssh_gui.search.gallery import Gallery

    model_path = argv[0]
    video = argv[1] if len(argv) > 1 else "resources/demo/vtest.avi"
    labels_csv = argv[2] if len(argv) > 2 else "resources/eval/person_crops/labels.csv"
    junk, labelled = set(), set()
    with open(labels_csv, newline="") as fh:
        for r in csv.DictReader(fh):
            if r["file"].startswith("gallery_"):
                name = r["file"].split("_", 2)[2]  # gallery_NNN_t00002_f000023.jpg -> t00002_f000023.jpg
                labelled.add(name)
                if r["label"] == "junk":
                    junk.add(name)
    m = load_model_file(model_path)
    out = {"model": m.name, "video": video, "queries": QUERIES, "runs": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, flt in (("without_filter", False), ("with_filter", True)):
            root = Path(tmp) / name
            with Gallery.create(root, m) as g:
                # the pipeline whose crops the labels name (one box per MOG2 blob, deep-sort-realtime)
                rep = build_from_video(g, m, video, camera="cam", person_filter=flt, detector="mog2-blobs",
                                       tracker="deepsort")
            eng = SearchEngine(root, m)
            counts, unlabelled = [], []
            try:
                for q in QUERIES:
                    if "probe" in q:
                        crop = next((root / "crops").rglob(q["probe"]), None)
                        if crop is None:  # the probe was filtered out: take it from the other build
                            crop = next((Path(tmp) / "without_filter" / "crops").rglob(q["probe"]))
                        req = SearchRequest(probe_image=str(crop), top=20, origin="tool")
                    else:
                        req = SearchRequest(attributes=q["attributes"], top=20, origin="tool")
                    res = eng.search(req)
                    names = [os.path.basename(h.meta.crop) for h in res.hits]
                    counts.append(sum(n in junk for n in names))
                    unlabelled.append(sum(n not in labelled for n in names))
            finally:
                eng.close()
            out["runs"][name] = {"items": rep.added, "rejected": rep.rejected, "junk_in_top20": counts,
                                 "junk_in_top20_total": sum(counts),
                                 # crops the labels do not name (another detector or tracker cut them)
                                 "unlabelled_in_top20": unlabelled}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
