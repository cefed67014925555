"""Evidence reports: selected hits to a self-contained HTML file and a PDF.

The PDF is printed by Qt itself (``QTextDocument`` on a ``QPdfWriter``), so no external
converter is involved. Images are embedded: base64 data URIs in the HTML, document
resources in the PDF. Needs a QGuiApplication (the CLI creates an offscreen one).
"""

from __future__ import annotations

import base64
import hashlib
import html
import time
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QUrl
from PySide6.QtGui import QColor, QImage, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen, QTextDocument

from .. import __version__
from ..common.atomic import atomic_write_bytes, atomic_write_text
from ..common.timefmt import describe_time
from ..ingest.redact import original_frame_name as source_frame_name
from ..search.engine import ResultHit, SearchResult
from ..search.gallery import sha256_file
from ..search.ranking import rank_labels, score_parts
from ..search.route import Route
from .results_model import source_text


@dataclass
class ReportInput:
    result: SearchResult
    hits: list[ResultHit]  # the selected hits
    model_name: str
    model_hash: str
    gallery_path: str
    gallery_digest: str
    gallery_state: str
    probe_path: str | None = None
    notes: str = ""
    audit_head: str | None = None  # the audit chain's newest link at export time
    checks: dict | None = None  # item id -> (source, crop) FileCheck, re-hashed at export
    case_id: str = ""
    examiner: str = ""
    crop_copies: dict | None = None  # item id -> the crop's copy beside the report
    marks: dict | None = None  # item id -> the examiner's "confirmed" / "rejected"
    model_card: dict | None = None  # the model's measured accuracy, training data and licence (text fields)
    probe_hit: ResultHit | None = None  # when the probe was a gallery hit ("search with this as probe")
    route: Route | None = None  # where the person went (search/route.py), audited when it was made
    route_plan: QImage | None = None  # the route drawn on the site plan
    probe_items: list | None = None  # ItemMeta of the confirmed hits of a "search with confirmed"
    redaction: str = "none"  # exported frames: "none", "others" (bystanders pixelated) or "outside" (ingest/redact.py)
    frames: dict | None = None  # item id -> (shown QImage, unredacted RGB24 SHA-256), made once per export
    clip_seconds: float = 0.0  # > 0: a clip of the footage this long before and after each video hit
    clips: dict | None = None  # item id -> ingest.clip.Clip, or a str saying why there is none

    prefix: str = "report"  # the report's path without suffix

    @property
    def crop_folder(self) -> str:
        from ..search.evidence import CROPS_SUFFIX

        return self.prefix + CROPS_SUFFIX

    @property
    def manifest_name(self) -> str:
        from ..search.evidence import MANIFEST_SUFFIX

        return Path(self.prefix).name + MANIFEST_SUFFIX

    @property
    def sources_name(self) -> str:
        from ..search.evidence import SOURCES_SUFFIX

        return Path(self.prefix).name + SOURCES_SUFFIX

    @property
    def mismatches(self) -> list[str]:
        """Files that are missing or no longer what was ingested (flagged red in the report)."""
        return [f"{c.path}: {c.status}" for pair in (self.checks or {}).values() for c in pair if not c.ok]


def _png(img: QImage) -> bytes:
    ba = QByteArray()
    buf = QBuffer(ba)
    buf.open(QIODevice.WriteOnly)
    img.save(buf, "PNG")
    return bytes(ba.data())


def _frame_with_box(inp: "ReportInput", rh: ResultHit, max_w: int = 240) -> QImage | None:
    """The hit's source frame, redacted as the report asks, with the subject's box drawn (cached in ``inp``)."""
    if rh.meta.frame is None:
        return None
    if inp.frames is None:
        inp.frames = {}
    if rh.meta.id in inp.frames:
        return inp.frames[rh.meta.id][0]
    from ..ingest.redact import frame_sha256, person_boxes, redact
    from ..ingest.video import read_frame_rgb
    from .detail_pane import numpy_to_qimage

    rgb = read_frame_rgb(rh.meta.source, rh.meta.frame)
    if rgb is None:
        return None
    original = frame_sha256(rgb)
    others = person_boxes(rh.meta.source, rh.meta.frame) if inp.redaction == "others" else []
    img = numpy_to_qimage(redact(rgb, rh.meta.bbox, inp.redaction, others))
    if rh.meta.bbox:
        p = QPainter(img)
        p.setPen(QPen(QColor("#e8a317"), 4))
        p.drawRect(*rh.meta.bbox)
        p.end()
    # redacted frames are shown larger: the subject's box must stay readable beside the mosaic
    shown = img.scaledToWidth(min(max_w if inp.redaction == "none" else 2 * max_w, img.width()))
    inp.frames[rh.meta.id] = (shown, original)
    return shown


def original_frame_name(rh: ResultHit) -> str:
    """The file name a second party gives the unredacted frame they decode (``sha256sum -c`` line)."""
    return source_frame_name(rh.meta.source, rh.meta.frame)


def _load(path: str | None, max_h: int) -> QImage | None:
    if not path:
        return None
    img = QImage(path)
    return None if img.isNull() else img.scaledToHeight(min(max_h, img.height()))


def _explanation(rh: ResultHit) -> str:
    if not rh.hit.explanation:
        return "—"
    parts = []
    for t in rh.hit.explanation:
        mark = "✓ matched" if t.matched else "✗ not matched" if t.matched is False else "? undecided"
        prob = f", p = {t.probability:.2f}" if t.probability is not None else ""
        parts.append(f"{html.escape(t.term)}: {mark} ({t.distance}/{t.bits} bits differ{prob})")
    return "<br>".join(parts)


def _check_html(inp: ReportInput, item_id: int) -> str:
    """The re-check of a hit's source and crop at export time; anything wrong in red."""
    if not inp.checks or item_id not in inp.checks:
        return "<b>Re-checked at export:</b> not re-checked<br>"
    e = html.escape
    parts = []
    for label, c in zip(("source", "crop"), inp.checks[item_id]):
        colour = "#007a00" if c.ok else "#c00000"
        parts.append(f'<b>{label} re-checked at export:</b> <span style="color:{colour}"><b>{e(c.status)}</b></span>'
                     + (f" <code>{e(c.actual)}</code>" if c.actual and label == "crop" else "")
                     + (f" (now <code>{e(c.actual)}</code>)" if c.status == "MISMATCH" else ""))
    copy = (inp.crop_copies or {}).get(item_id)
    if copy is not None:
        from ..search.evidence import crop_statement

        parts.append(crop_statement(f"{Path(copy).parent.name}/{Path(copy).name}", sha256_file(copy)))
    clip = (inp.clips or {}).get(item_id)
    if isinstance(clip, str):
        parts.append(f"<b>clip:</b> none ({e(clip)})")
    elif clip is not None:
        from ..search.evidence import clip_statement

        parts.append(clip_statement(f"{clip.path.parent.name}/{clip.path.name}", clip.sha256, clip.first, clip.last))
        if clip.redaction != "none":
            lost = (f"; on {clip.lost} of its {clip.last - clip.first + 1} frames the subject could not be followed "
                    f"and {'the whole frame is' if clip.redaction == 'outside' else 'no box is kept sharp and it is'} "
                    f"pixelated" if clip.lost else "")
            parts.append(f"clip redacted: {e(REDACTION_TEXT[clip.redaction])}, following the subject from this "
                         f"hit's box{lost}; each unredacted frame's SHA-256 is in "
                         f"<code>{e(Path(inp.prefix).name)}.originals.sha256</code>")
    return "<br>".join(parts) + "<br>"


def _card_html(card: dict | None) -> str:
    """The model card's fields as escaped text (what the model is known to do, and may be used for)."""
    if not card:
        return "<br>no model card: its accuracy on unseen data is not stated in the file"
    e = html.escape
    return "".join(f"<br><b>{e(str(k))}:</b> {e(str(v))}" for k, v in card.items())


PDF_BOUND_NOTE = ("The PDF beside this report names this HTML file's SHA-256 in its document information "
                  "(Creator); deepssh verify checks it.")

REDACTION_TEXT = {
    "none": "not redacted",
    "others": "every other person the detectors found is pixelated (a detector can miss someone)",
    "outside": "everything outside the subject's box is pixelated",
}


def _original_html(inp: ReportInput, rh: ResultHit) -> str:
    got = (inp.frames or {}).get(rh.meta.id)
    if got is None or inp.redaction == "none":
        return ""
    return (f"<b>Frame shown redacted;</b> unredacted frame (RGB24 pixels) SHA-256 <code>{got[1]}</code>, "
            f"listed as <code>{html.escape(original_frame_name(rh))}</code> in "
            f"<code>{html.escape(Path(inp.prefix).name)}.originals.sha256</code> (recompute from the footage with "
            f"<code>deepssh frame-hash SOURCE {rh.meta.frame}</code>)<br>")


def _route_html(inp: ReportInput, image_src) -> str:
    """The route section: sightings and legs as text, the plan drawing, and its audit entry."""
    if inp.route is None:
        return ""
    e = html.escape
    plan = f'<br><img src="{image_src("route_plan", inp.route_plan)}" width="{inp.route_plan.width()}">' \
        if inp.route_plan is not None else ""
    audit_entry = e(str(inp.route.audit_id)) if inp.route.audit_id is not None else "not recorded"
    return (f"<h3>Route (audit entry {audit_entry})</h3><pre>{e(chr(10).join(inp.route.lines()))}</pre>{plan}")


def build_html(inp: ReportInput, image_src) -> str:
    """HTML of the report. ``image_src(key, QImage) -> str`` gives each image's src."""
    res = inp.result
    e = html.escape
    rows = []
    # ranks as the search showed them: tied hits share a rank with "=" (never #1 and #2)
    shown = dict(zip((rh.meta.id for rh in res.hits), rank_labels([rh.hit for rh in res.hits])))
    for i, rh in enumerate(inp.hits):
        m = rh.meta
        thumb = _load(m.crop, 160) or _load(m.thumb, 160)
        frame = _frame_with_box(inp, rh)
        imgs = ""
        if thumb is not None:
            imgs += f'<img src="{image_src(f"hit{i}", thumb)}" height="{thumb.height()}">'
        if frame is not None:
            imgs += f'<br><img src="{image_src(f"frame{i}", frame)}" width="{frame.width()}">'
        when = f"frame {m.frame}, {describe_time(m.timestamp, 2)}" if m.frame is not None else "—"
        dist = ", ".join(score_parts(rh.hit) + ([f"attribute bits d={rh.hit.attribute_distance}"]
                                                if rh.hit.query_probability is not None else []))
        # one table per hit, each starting a new page: a hit (about a third of a page) is never
        # split across a page break in the PDF (Qt's rich text has page breaks, not "avoid")
        rows.append(f"""<table width="100%" style="page-break-before: always">
<tr><td valign="top"><b>#{e(shown.get(m.id, str(rh.hit.rank)))}</b><br>item {m.id}</td><td valign="top">{imgs}</td>
<td valign="top"><b>Source:</b> {e(m.source)}<br><b>SHA-256 at ingest:</b> <code>{e(m.source_sha256)}</code><br>
{_check_html(inp, m.id)}
{_original_html(inp, rh)}<b>Camera:</b> {e(m.camera or "—")} &nbsp; <b>Time:</b> {e(when)}<br>
<b>Box:</b> {e(str(m.bbox) if m.bbox else "—")} &nbsp; <b>Track:</b> {e(str(m.track) if m.track is not None else "—")}<br>
<b>Score:</b> {e(dist)}<br><b>Examiner's mark:</b> {e((inp.marks or {}).get(m.id) or "not confirmed or rejected")}<br>
<b>Attribute match:</b><br>{_explanation(rh)}</td></tr></table>""")
    probe = ""
    if inp.probe_path:
        pimg = _load(inp.probe_path, 200)
        if pimg is not None:
            probe = f'<p><b>Probe image:</b> {e(inp.probe_path)}<br><img src="{image_src("probe", pimg)}" ' \
                    f'height="{pimg.height()}"></p>'
    probe_sha = f"<code>{e(res.probe_sha256)}</code>" if res.probe_sha256 else "—"
    if inp.probe_hit is not None:  # a gallery hit as probe: name it, show it, and give its code
        ph = inp.probe_hit
        pimg = _load(ph.meta.crop, 200) or _load(ph.meta.thumb, 200)
        probe = (f"<p><b>Probe:</b> gallery item {ph.meta.id} ({e(source_text(ph))}), searched by its code"
                 + (f'<br><img src="{image_src("probe", pimg)}" height="{pimg.height()}">' if pimg is not None else "")
                 + "</p>")
        probe_sha = f"gallery item {ph.meta.id}; code <code>{e(ph.code.tobytes().hex())}</code>"
    if inp.probe_items:  # "search with confirmed": every confirmed hit was a probe
        imgs = []
        for j, m in enumerate(inp.probe_items):
            pimg = _load(m.crop, 120) or _load(m.thumb, 120)
            if pimg is not None:
                imgs.append(f'<img src="{image_src(f"probe{j}", pimg)}" height="{pimg.height()}">')
        ids = ", ".join(str(m.id) for m in inp.probe_items)
        probe = (f"<p><b>Probe:</b> the examiner's {len(inp.probe_items)} confirmed hits (items {ids}), searched "
                 f"by their codes (an item's distance is to the nearest of them)<br>{' '.join(imgs)}</p>")
        probe_sha = f"confirmed gallery items {ids}"
    return f"""<html><head><meta charset="utf-8"><title>DeepSSH evidence report</title>
<style>body {{ font-family: sans-serif; font-size: 10pt; }} td {{ padding: 4px; border-bottom: 1px solid #ccc; }}
code {{ font-size: 8pt; }}</style></head><body>
<h2>DeepSSH person-search evidence report</h2>
<table>
<tr><td><b>Case</b></td><td>{e(inp.case_id or "—")}</td></tr>
<tr><td><b>Examiner</b></td><td>{e(inp.examiner or "—")}</td></tr>
<tr><td><b>Exported</b></td><td>{e(time.strftime("%Y-%m-%d %H:%M:%S %z (%Z)"))}</td></tr>
<tr><td><b>Tool</b></td><td>deepssh-gui {e(__version__)}</td></tr>
<tr><td><b>Model</b></td><td>{e(inp.model_name)}<br><code>{e(inp.model_hash)}</code>{_card_html(inp.model_card)}</td></tr>
<tr><td><b>Gallery</b></td><td>{e(inp.gallery_path)} ({e(inp.gallery_state)})<br>content SHA-256
<code>{e(inp.gallery_digest)}</code></td></tr>
<tr><td><b>Search</b></td><td>{e(res.mode)} query over {res.n_searched} items; audit entry
{e(str(res.audit_id) if res.audit_id is not None else "not recorded")}</td></tr>
<tr><td><b>Audit chain head</b></td><td><code>{e(inp.audit_head or "—")}</code><br>(check the gallery's log
later with <code>deepssh audit --gallery G --verify</code>: a log rewritten after this export no longer
contains this hash)</td></tr>
<tr><td><b>Attributes</b></td><td>{e(res.query.text or "—")}</td></tr>
<tr><td><b>Probe</b></td><td>{probe_sha}</td></tr>
<tr><td><b>Frames</b></td><td>{e(REDACTION_TEXT[inp.redaction])}</td></tr>
</table>
{probe}
{f"<p><b>Notes:</b> {e(inp.notes)}</p>" if inp.notes else ""}
{_route_html(inp, image_src)}
<h3>Selected hits ({len(inp.hits)})</h3>
{"".join(rows)}
<p style="font-size: 8pt">Beside this report: the crops of the hits (folder <code>{e(Path(str(inp.crop_folder)).name)}</code>),
<code>{e(inp.manifest_name)}</code> with the SHA-256 of this report, its PDF and the crop copies (check it with
<code>sha256sum -c {e(inp.manifest_name)}</code> in the report's folder, or <code>deepssh verify REPORT</code>), and
<code>{e(inp.sources_name)}</code> with the footage's SHA-256 recorded at ingest (check it where the footage is).</p>
<p style="font-size: 8pt">{e(PDF_BOUND_NOTE)}</p>
<p style="font-size: 8pt">Attribute matches are read from each hit's hash-code bits: "matched" means the bits
are closer to the asked answer than to the opposite one. Hamming distances count differing bits.</p>
</body></html>"""


def export_report(inp: ReportInput, html_path: str | Path, pdf_path: str | Path | None = None) -> None:
    """Write the HTML (self-contained) and, if asked, the PDF, both atomically."""
    def data_uri(key, img):
        return "data:image/png;base64," + base64.b64encode(_png(img)).decode()

    html_text = build_html(inp, data_uri)
    atomic_write_text(html_path, html_text)
    if pdf_path is None:
        return
    from ..search.evidence import pdf_binding

    html_sha = hashlib.sha256(html_text.encode("utf-8")).hexdigest()
    resources: dict[str, QImage] = {}

    def resource(key, img):
        resources[key] = img
        return f"res://{key}.png"

    doc = QTextDocument()
    doc.setHtml("")  # resources must be added before the HTML that uses them is laid out
    body = build_html(inp, resource)
    for key, img in resources.items():
        doc.addResource(QTextDocument.ImageResource, QUrl(f"res://{key}.png"), img)
    doc.setHtml(body)
    buf = QByteArray()
    dev = QBuffer(buf)
    dev.open(QIODevice.WriteOnly)
    writer = QPdfWriter(dev)
    writer.setPageSize(QPageSize(QPageSize.A4))
    writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout.Millimeter)
    writer.setResolution(150)
    writer.setTitle("DeepSSH evidence report")
    # the PDF names the HTML it was rendered with: `deepssh verify` refuses another report's PDF
    writer.setCreator(f"deepssh-gui {__version__}; {pdf_binding(html_sha)}")
    doc.print_(writer)
    del writer
    dev.close()
    atomic_write_bytes(pdf_path, bytes(buf.data()))


def report_files(prefix: Path) -> list[Path]:
    """Every file or folder a report at ``prefix`` consists of."""
    from ..search.evidence import CLIPS_SUFFIX, CROPS_SUFFIX, MANIFEST_SUFFIX, ORIGINALS_SUFFIX, SOURCES_SUFFIX

    return [prefix.with_name(prefix.name + x) for x in (".html", ".pdf", MANIFEST_SUFFIX, SOURCES_SUFFIX,
                                                          ORIGINALS_SUFFIX, CROPS_SUFFIX, CLIPS_SUFFIX)]


def write_hit_clips(prefix: Path, inp: ReportInput) -> dict:
    """A clip of the footage around each video hit in ``PREFIX.clips/``: ``{item id: Clip or why not}``,
    redacted as the report's frames are (ingest/clip.py follows the subject through it)."""
    import os

    from ..ingest.clip import write_clip
    from ..search.evidence import CLIPS_SUFFIX

    folder = prefix.with_name(prefix.name + CLIPS_SUFFIX)
    out: dict = {}
    for rh in inp.hits:
        m = rh.meta
        if m.frame is None or m.crop == m.source:
            out[m.id] = "not cut from video"
        elif not os.path.isfile(m.source):
            out[m.id] = "the footage is not available here"
        else:
            try:
                out[m.id] = write_clip(m.source, m.frame, folder / f"rank{rh.hit.rank:03d}_item{m.id}.avi",
                                       inp.clip_seconds, inp.clip_seconds, inp.redaction, m.bbox)
            except ValueError as exc:
                out[m.id] = str(exc)
    return out


def write_evidence(inp: ReportInput, out: str | Path, replace: bool = False) -> tuple[Path, Path, Path]:
    """The whole evidence set for ``out`` (a path; its suffix is ignored): crop copies, the HTML
    and PDF report, then the manifests that hash them. Returns ``(html, pdf, manifest)``.

    An existing report at ``out`` is refused (another case's evidence must never be overwritten
    in part, leaving its crops beside the new report), unless ``replace`` (the examiner
    confirmed it): then all of the old report's files go first.
    """
    import shutil

    from ..common.errors import DeepSSHError
    from ..search.evidence import ORIGINALS_SUFFIX, copy_hit_crops, write_manifests

    prefix = Path(out).with_suffix("")
    if "\n" in prefix.name:
        raise ValueError("a report name cannot contain a line break")
    existing = [f for f in report_files(prefix) if f.exists()]
    if existing and not replace:
        raise DeepSSHError(f"a report already exists at {str(prefix)!r} ({', '.join(f.name for f in existing)}); "
                           f"choose another --out, or replace it (--replace; all its files go first)")
    for f in existing:
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    inp.prefix = str(prefix)
    inp.crop_copies = copy_hit_crops(prefix, [(rh.hit.rank, rh.meta) for rh in inp.hits])
    if inp.clip_seconds > 0:
        inp.clips = write_hit_clips(prefix, inp)
    html_path, pdf_path = prefix.with_name(prefix.name + ".html"), prefix.with_name(prefix.name + ".pdf")
    export_report(inp, html_path, pdf_path)
    extra = []
    lines = [] if inp.redaction == "none" else \
        [(inp.frames[rh.meta.id][1], original_frame_name(rh)) for rh in inp.hits if rh.meta.id in (inp.frames or {})]
    for rh in inp.hits:  # a redacted clip's frames: one line per source frame
        clip = (inp.clips or {}).get(rh.meta.id)
        if clip is not None and not isinstance(clip, str):
            lines += [(sha, source_frame_name(rh.meta.source, f)) for f, sha in clip.originals]
    if lines:
        # the unredacted frames' pixels, for a second party who holds the footage (docs/reliability.md)
        originals = prefix.with_name(prefix.name + ORIGINALS_SUFFIX)
        atomic_write_text(originals, "".join(f"{sha}  {name}\n" for sha, name in dict.fromkeys(lines)))
        extra.append(originals)
    clips = [c.path for c in (inp.clips or {}).values() if not isinstance(c, str)]
    manifest, _ = write_manifests(prefix, [html_path, pdf_path, *inp.crop_copies.values(), *clips, *extra],
                                  [rh.meta for rh in inp.hits])
    return html_path, pdf_path, manifest


def cli_export(args) -> tuple[Path, Path, Path, int, list[str]]:
    """``deepssh export``: search (audited), then write the report. Returns paths and hit count."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from .qt_env import fix_qt_plugin_path

    fix_qt_plugin_path()
    from PySide6.QtGui import QGuiApplication

    from ..common.errors import DeepSSHError
    from ..scale.open import open_engine
    from ..search.engine import SearchRequest
    from ..search.audit import current_examiner
    from ..search.evidence import check_files, crop_hashes_of

    app = QGuiApplication.instance() or QGuiApplication(["deepssh"])  # noqa: F841 - fonts for the PDF
    eng = open_engine(args.gallery, args.model)
    try:
        res = eng.search(SearchRequest(attributes=args.attributes or "", negated=args.negate or "",
                                       probe_image=args.image, top=args.top, origin="cli-export",
                                       examiner=args.examiner))
        ranks = [int(x) for x in args.ranks.split(",")] if args.ranks else [h.hit.rank for h in res.hits]
        chosen = [h for h in res.hits if h.hit.rank in ranks]
        if not chosen:
            raise DeepSSHError("no hits to export")
        examiner = args.examiner or current_examiner()
        route = eng.route([h.meta.id for h in chosen], origin="cli-export", examiner=examiner) \
            if getattr(args, "route", False) else None
        checks = check_files([h.meta for h in chosen], crop_hashes_of(eng.gallery, chosen))
        inp = ReportInput(res, chosen, eng.model.name, eng.model.hash, str(Path(args.gallery).resolve()),
                          eng.gallery.content_digest(), eng.gallery.state(), args.image, args.notes or "",
                          eng.gallery.audit_head(), checks,
                          case_id=args.case_id or "", examiner=examiner,
                          model_card=eng.model.meta.get("card"), route=route,
                          redaction=getattr(args, "redact", "none") or "none",
                          clip_seconds=float(getattr(args, "clip_seconds", 0) or 0))
        html_path, pdf_path, manifest = write_evidence(inp, args.out, replace=getattr(args, "replace", False))
    finally:
        eng.close()
    return html_path, pdf_path, manifest, len(chosen), inp.mismatches
