"""``deepssh search``, ``export`` and ``audit``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..common.argtypes import unit_float
from ..common.errors import DeepSSHError
from ..common.timefmt import describe_time
from ..search.strength import LIKELY, UNKNOWN, WEAK, MatchCut, counts, cut_for, strength
from .args import (add_cluster_args, add_engine_arg, default_model_path, open_engine, parse_time, positive_int,
                   runtime_model)


def cmd_search(args: argparse.Namespace) -> int:
    from ..search.engine import SearchRequest

    if not (args.image or args.attributes or args.negate or args.describe):
        raise DeepSSHError("give --image, --attributes (and/or --not) or --describe, or a photo and attributes")
    if args.describe and args.attributes:
        raise DeepSSHError("give --describe or --attributes, not both")
    model = runtime_model(args.model, args.engine)
    attributes = args.attributes or ""
    if args.describe:
        attributes = described_query(args.describe, model.schema)
    eng = open_engine(args.gallery, model, args)
    try:
        res = eng.search(SearchRequest(attributes=attributes, negated=args.negate or "",
                                       probe_image=args.image, camera=args.camera, t_from=parse_time(args.t_from),
                                       t_to=parse_time(args.t_to), top=args.top, alpha=args.alpha, origin="cli",
                                       rank=args.rank, examiner=args.examiner))
        cut = cut_for(eng.model.meta)
    finally:
        eng.close()
    for note in res.notes:
        print(f"warning: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(result_to_json(res, cut, args.hide_weak), indent=1))
        return 0
    from ..search.ranking import rank_labels

    n = counts([rh.hit for rh in res.hits], cut)
    strength_text = (f"; {n[LIKELY]} likely, {n[WEAK]} weak" + (f", {n[UNKNOWN]} unknown" if n[UNKNOWN] else "")
                     + (" (weak hidden)" if args.hide_weak else "") + f" [{cut.describe()}]") if res.hits else ""
    print(f"{res.mode} search over {res.n_searched} items in {1000 * res.seconds:.1f} ms"
          + (f"; query: {res.query.text} (ranked by {res.rank})" if res.query else "") + strength_text)
    if not res.hits:
        print("no hits: the gallery is empty" if not res.n_searched and not (args.camera or args.t_from or args.t_to)
              else "no hits: no item passes the camera/time filters")
    for label, rh in zip(rank_labels([rh.hit for rh in res.hits]), res.hits):
        s = strength(rh.hit, cut)
        if args.hide_weak and s == WEAK:
            continue
        h, m = rh.hit, rh.meta
        chips = " ".join(("✓" if t.matched else "✗" if t.matched is False else "?") + t.term
                         + (f" p={t.probability:.2f}" if t.probability is not None else "") for t in h.explanation)
        where = f"{Path(m.source).name} frame {m.frame} {describe_time(m.timestamp)}" if m.frame is not None \
            else Path(m.crop).name
        d = " ".join(x for x in (f"photo={h.photo_distance}" if h.photo_distance is not None else "",
                                 f"P={h.query_probability:.3f}" if h.query_probability is not None else
                                 f"attr={h.attribute_distance}" if h.attribute_distance is not None else "",
                                 f"score={h.score:.3f}" if h.photo_distance is not None and h.explanation else "") if x)
        print(f"#{label:<4} id {h.index:<6} {s:<7} {d:<28} cam {plain(m.camera or '-'):<10} {plain(where)}  "
              f"{plain(chips)}")
    return 0


def described_query(text: str, schema) -> str:
    """The query a description means, printed (stderr) with every word that was not used."""
    from ..search.describe import describe

    d = describe(text, schema)  # QueryError (a DeepSSHError) when nothing is understood
    print(f"understood: {d.query_text}", file=sys.stderr)
    for t in d.terms:
        print(f"  {plain(t.words)!r} -> {t.term}", file=sys.stderr)
    if d.unknown:
        print(f"not understood: {', '.join(plain(w) for w in d.unknown)}", file=sys.stderr)
    for note in d.notes:
        print(f"note: {plain(note)}", file=sys.stderr)
    return d.query_text


def plain(text: str) -> str:
    """User-supplied text on one terminal line: control characters are shown escaped, never acted on."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def result_to_json(res, cut: MatchCut | None = None, hide_weak: bool = False) -> dict:
    """The result as plain JSON; each hit's ``strength`` (likely / weak / unknown) follows ``cut``."""
    from ..search.ranking import rank_labels

    cut = cut or MatchCut()
    labels = rank_labels([rh.hit for rh in res.hits])
    shown = [(label, rh, strength(rh.hit, cut)) for label, rh in zip(labels, res.hits)]
    return {
        "mode": res.mode, "query": res.query.text, "probe_sha256": res.probe_sha256,
        "seconds": res.seconds, "n_searched": res.n_searched, "masked_bits": res.masked_bits,
        "audit_id": res.audit_id, "rank": res.rank, "notes": res.notes,
        "strength_counts": counts([rh.hit for rh in res.hits], cut), "strength_rule": cut.describe(),
        "weak_hidden": hide_weak,
        "hits": [{
            "rank": rh.hit.rank, "rank_label": label, "tied": label.endswith("="), "id": rh.hit.index,
            "score": rh.hit.score, "strength": st,
            "photo_distance": rh.hit.photo_distance, "attribute_distance": rh.hit.attribute_distance,
            "query_probability": rh.hit.query_probability,
            "explanation": [{"term": t.term, "matched": t.matched, "distance": t.distance, "bits": t.bits,
                             "probability": t.probability} for t in rh.hit.explanation],
            "crop": rh.meta.crop, "thumb": rh.meta.thumb, "source": rh.meta.source,
            "source_sha256": rh.meta.source_sha256, "camera": rh.meta.camera, "frame": rh.meta.frame,
            "timestamp": rh.meta.timestamp, "bbox": rh.meta.bbox, "track": rh.meta.track,
            "identity": rh.meta.identity,
        } for label, rh, st in shown if not (hide_weak and st == WEAK)],
    }


def cmd_export(args: argparse.Namespace) -> int:
    """Search, then export the chosen hits as an HTML and a PDF evidence report."""
    from ..ui.export import cli_export  # Qt lives in ui/; it starts an offscreen QGuiApplication

    args.model = runtime_model(args.model, args.engine)  # the engine accepts a loaded model
    if args.describe:
        if args.attributes:
            raise DeepSSHError("give --describe or --attributes, not both")
        args.attributes = described_query(args.describe, args.model.schema)
    html_path, pdf_path, manifest, n, mismatches = cli_export(args)
    print(f"exported {n} hits to {html_path} and {pdf_path}; file hashes in {manifest} "
          f"(check with `sha256sum -c {manifest.name}` in {manifest.parent}, or `deepssh verify {manifest}`)")
    if mismatches:
        for m in mismatches:
            print(f"FILE CHECK FAILED: {plain(m)}", file=sys.stderr)
        if not args.allow_mismatch:
            print("the report flags these in red; exit 1 (--allow-mismatch to accept)", file=sys.stderr)
            return 1
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Re-hash an exported report's files (and its footage where present) against its manifests."""
    from ..search.evidence import find_manifest, verify_report

    lines = verify_report(args.report)
    for ln in lines:
        print(f"{ln.status:<18} {plain(ln.path)}")
    bad = [ln for ln in lines if not ln.ok]
    where = find_manifest(args.report)
    if bad:
        print(f"VERIFY FAILED: {len(bad)} of {len(lines)} checks of {where} failed", file=sys.stderr)
        return 1
    print(f"verified: {len(lines)} checks of {where} passed")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    import csv
    import io

    from ..common.atomic import atomic_write_text
    from ..search.gallery import Gallery

    from ..scale.manifest import AUDIT_DIR, is_sharded

    where = Path(args.gallery) / AUDIT_DIR if is_sharded(args.gallery) else args.gallery  # a sharded gallery's log
    with Gallery.open(where, read_only=True) as g:
        rows = g.audit_entries()
        check = g.verify_audit() if args.verify else None
    if check is not None:
        print(f"audit log of {args.gallery}: {check.n_rows} entries ({check.n_legacy} from before the hash chain)")
        if check.ok:
            print(f"chain intact; head {check.head}")
            return 0
        for problem in check.problems:
            print(f"BROKEN: {plain(problem)}")
        return 1
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(Gallery.AUDIT_COLUMNS))
    w.writeheader()
    w.writerows(rows)
    if args.out:
        atomic_write_text(args.out, buf.getvalue())
        print(f"{len(rows)} audit entries written to {args.out}")
    else:
        sys.stdout.write(buf.getvalue())
    return 0


def register(sub) -> None:
    se = sub.add_parser("search", help="search a gallery by photo, attributes, or both")
    se.add_argument("--gallery", required=True)
    se.add_argument("--model", default=str(default_model_path()))
    se.add_argument("--image", help="probe photo")
    se.add_argument("--attributes", help='query language, e.g. "carryingBackpack,lowerBody:dark"')
    se.add_argument("--not", dest="negate", help="comma-separated attributes that must be absent")
    se.add_argument("--describe", help='a plain description, e.g. "woman in a red coat with a backpack, no hat"; '
                                       "the query it gives is printed before the search")
    se.add_argument("--camera")
    se.add_argument("--from", dest="t_from")
    se.add_argument("--to", dest="t_to")
    se.add_argument("--top", type=positive_int, default=20)
    se.add_argument("--alpha", type=unit_float, default=0.5, help="hybrid weight of the attribute part (0 to 1)")
    se.add_argument("--json", action="store_true")
    se.add_argument("--hide-weak", action="store_true",
                    help="leave out weak matches (P(query) < 0.5, or a photo distance beyond the model's cut)")
    se.add_argument("--examiner", help="who runs the search, for the audit log (default: the OS user)")
    se.add_argument("--rank", choices=["auto", "probability", "hamming"], default="auto",
                    help="attribute ranking: calibrated probability (auto where the gallery has it) or masked Hamming")
    add_engine_arg(se)
    add_cluster_args(se)
    se.set_defaults(func=cmd_search)

    ex = sub.add_parser("export", help="search and export hits as an HTML + PDF evidence report")
    ex.add_argument("--gallery", required=True)
    ex.add_argument("--model", default=str(default_model_path()))
    ex.add_argument("--image")
    ex.add_argument("--attributes")
    ex.add_argument("--describe", help="a plain description instead of --attributes (the parsed query is printed)")
    ex.add_argument("--not", dest="negate")
    ex.add_argument("--top", type=positive_int, default=10)
    ex.add_argument("--ranks", help="comma-separated ranks to include (default: all shown)")
    ex.add_argument("--notes", help="free-text note printed in the report")
    ex.add_argument("--replace", action="store_true",
                    help="replace a report already at --out (all of its files, crops included, are removed first)")
    ex.add_argument("--redact", choices=["none", "others", "outside"], default="none",
                    help="frames in the report: others = pixelate every other person found; outside = pixelate "
                         "everything outside the subject's box (unredacted frames' hashes kept)")
    ex.add_argument("--clip-seconds", type=float, default=0.0,
                    help="also export the footage this many seconds before and after each video hit (MJPEG AVI "
                         "in OUT.clips/, hashed in the manifest; redacted like the frames with --redact, the subject "
                         "followed through the clip)")
    ex.add_argument("--route", action="store_true",
                    help="add the route through the exported hits (sightings per camera, by time; audited)")
    ex.add_argument("--out", required=True,
                    help="report path; .html, .pdf, .crops/, .sha256 and .sources.sha256 are written")
    ex.add_argument("--case-id", help="case identifier printed in the report")
    ex.add_argument("--examiner", help="who exports, printed in the report and audit log (default: the OS user)")
    ex.add_argument("--allow-mismatch", action="store_true",
                    help="exit 0 even when a source or crop is missing or changed since ingest (still flagged)")
    add_engine_arg(ex)
    ex.set_defaults(func=cmd_export)

    ve = sub.add_parser("verify", help="check an exported evidence report against its SHA-256 manifests")
    ve.add_argument("report", help="the report (.html, .pdf, its .sha256 manifest, or the --out path)")
    ve.set_defaults(func=cmd_verify)

    au = sub.add_parser("audit", help="export a gallery's audit log of searches as CSV")
    au.add_argument("--gallery", required=True)
    au.add_argument("--out", help="CSV file (default: standard output)")
    au.add_argument("--verify", action="store_true",
                    help="check the hash chain and the append-only triggers; exit 1 naming the first broken entry")
    au.set_defaults(func=cmd_audit)
