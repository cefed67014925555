"""The command-line demo on bundled data: encode the demo crops, then search them.

This is what ``make run`` starts until the desktop GUI lands.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from ..common.errors import DeepSSHError

from ..common.paths import DEMO_CROPS, default_model_path
from ..search.ranking import score_parts
from .args import positive_int


def _fmt_hit(hit, paths, scores, names) -> str:
    chips = " ".join(("✓ " if m.matched else "✗ " if m.matched is False else "? ") + m.term for m in hit.explanation)
    top = sorted(range(len(names)), key=lambda j: -scores[hit.index, j])[:3]
    attrs = ", ".join(f"{names[j]} {scores[hit.index, j]:.2f}" for j in top)
    return f"  #{hit.rank:<2} {Path(paths[hit.index]).name:<22} {' '.join(score_parts(hit)):<34} {chips}   [{attrs}]"


def run_demo(model_path: str, images: str, attributes: str, probe: str | None, top: int = 5) -> int:
    from ..ingest.folder import load_folder
    from ..model.calibration import logit_columns
    from ..model.encode import encode_paths
    from ..model.modelfile import load_model_file
    from ..search.query import parse_query
    from ..search.ranking import rank_codes

    t0 = time.perf_counter()
    model = load_model_file(model_path)
    print(f"model {model.name}: {model.config.nbits}-bit codes, {len(model.schema)} attributes "
          f"({model.config.bits_per_attr} bits each), hash {model.hash[:12]}")
    paths = load_folder(images)
    if not paths:
        raise DeepSSHError(f"no images in {images!r}")
    enc = encode_paths(model.encoder(), paths)
    print(f"encoded {len(enc.paths)} crops from {images} in {time.perf_counter() - t0:.1f} s"
          + (f" ({len(enc.failed)} unreadable)" if enc.failed else ""))
    names = model.schema.names
    q = parse_query(attributes, model.schema)
    print(f"\nattribute query: {q.text}")
    logits = logit_columns(enc.attr_scores)  # as a gallery stores them: ranking by probability
    for h in rank_codes(enc.codes, model.decoder, query=q, k=top, logits=logits):
        print(_fmt_hit(h, enc.paths, enc.attr_scores, names))
    probe_idx = enc.paths.index(probe) if probe in enc.paths else 0
    print(f"\nphoto query: {Path(enc.paths[probe_idx]).name}")
    for h in rank_codes(enc.codes, model.decoder, probe=enc.codes[probe_idx], k=top):
        print(_fmt_hit(h, enc.paths, enc.attr_scores, names))
    print(f"\nhybrid query: {Path(enc.paths[probe_idx]).name} + {q.text}")
    for h in rank_codes(enc.codes, model.decoder, probe=enc.codes[probe_idx], query=q, k=top, logits=logits):
        print(_fmt_hit(h, enc.paths, enc.attr_scores, names))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return run_demo(args.model, args.images, args.attributes, args.probe, args.top)


def register(sub) -> None:
    m = sub.add_parser("demo", help="encode the bundled demo crops and run example searches")
    m.add_argument("--model", default=str(default_model_path()))
    m.add_argument("--images", default=str(DEMO_CROPS))
    m.add_argument("--attributes", default="lowerBody:dark, upperBody:dark")
    m.add_argument("--probe", help="one of the images to use as the photo query")
    m.add_argument("--top", type=positive_int, default=5)
    m.set_defaults(func=cmd_demo)
