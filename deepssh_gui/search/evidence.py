"""Re-checking the files an evidence report embeds, at the moment it is exported.

Each hit's source (video or image) is hashed again and compared with the SHA-256 recorded
when it was ingested; each crop is hashed so that a second party can check it later. A
changed or missing file is never reported as if it were the original.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..common.atomic import atomic_copy
from .gallery import ItemMeta, sha256_file


@dataclass(frozen=True)
class FileCheck:
    path: str
    recorded: str | None  # the SHA-256 stored at ingest (None: nothing was recorded)
    actual: str | None  # the SHA-256 now (None: the file is missing or unreadable)

    link: bool = False  # a crop that is a symbolic link (to whatever file it names now)

    @property
    def status(self) -> str:
        if self.link:
            return "SYMBOLIC LINK"  # a crop swapped for a link to another file is not evidence
        if self.actual is None:
            return "MISSING"
        if self.recorded is None:
            return "hashed at export"
        return "matches" if self.actual == self.recorded else "MISMATCH"

    @property
    def ok(self) -> bool:
        return self.status in ("matches", "hashed at export")


def _hash(path: str, cache: dict[str, str | None]) -> str | None:
    if path not in cache:
        try:
            cache[path] = sha256_file(path) if os.path.isfile(path) else None
        except OSError:
            cache[path] = None
    return cache[path]


def pdf_binding(html_sha256: str) -> str:
    """The text a report's PDF carries in its Creator field: the SHA-256 of its HTML."""
    return f"report html sha256 {html_sha256}"


def pdf_names_html(pdf: bytes, html_sha256: str) -> bool:
    """Whether the PDF's document information names this HTML hash (Qt writes it as UTF-16BE)."""
    text = pdf_binding(html_sha256)
    return text.encode("utf-16-be") in pdf or text.encode("ascii") in pdf


def crop_hashes_of(gallery, hits) -> dict[int, str]:
    """The ingest hashes of these hits' crops, where the gallery records them (not sharded ones)."""
    fn = getattr(gallery, "crop_hashes", None)
    return fn([h.meta.id for h in hits]) if fn is not None else {}


def check_files(metas: list[ItemMeta], crop_hashes: dict[int, str] | None = None
                ) -> dict[int, tuple[FileCheck, FileCheck]]:
    """``{item id: (source check, crop check)}``; each distinct file is hashed once.

    ``crop_hashes`` are the hashes recorded at ingest for crops cut from video
    (:meth:`Gallery.crop_hashes`); a folder crop is its own source.
    """
    cache: dict[str, str | None] = {}
    out = {}
    for m in metas:
        src = FileCheck(m.source, m.source_sha256, _hash(m.source, cache))  # footage may be linked in
        crop_recorded = m.source_sha256 if m.crop == m.source else (crop_hashes or {}).get(m.id)
        out[m.id] = (src, FileCheck(m.crop, crop_recorded, _hash(m.crop, cache), os.path.islink(m.crop)))
    return out


def find_source(path: str, sha256: str, gallery_root: str | os.PathLike,
                cache: dict[tuple[str, str], str | None] | None = None,
                folders: list[str] | tuple[str, ...] = ()) -> str | None:
    """Where a hit's source is now: its stored path, else a file of the same name beside the
    gallery folder, inside it (a gallery copied with its footage) or in one of ``folders`` (where
    the examiner said the footage now is) whose SHA-256 is the one recorded at ingest. None when
    none exists; a same-named file with other content is never used. ``cache`` keeps results
    between calls (hashing footage is slow)."""
    cache = {} if cache is None else cache
    key = (path, sha256)
    if key not in cache:
        found = path if os.path.isfile(path) else None
        if found is None:
            root = Path(gallery_root)
            name = Path(path).name
            for cand in (root.parent / name, root / name, *(Path(f) / name for f in folders)):
                if cand.is_file() and sha256_file(cand) == sha256:
                    found = str(cand)
                    break
        cache[key] = found
    return cache[key]


# ----------------------------------------------------------------------------- manifests

MANIFEST_SUFFIX = ".sha256"  # the report's files, relative to the report's folder (sha256sum -c)
SOURCES_SUFFIX = ".sources.sha256"  # the footage, absolute paths, hashes recorded at ingest
CROPS_SUFFIX = ".crops"  # copies of the reported hits' crops
CLIPS_SUFFIX = ".clips"  # footage around each reported hit (ingest/clip.py)
ORIGINALS_SUFFIX = ".originals.sha256"  # unredacted frames' pixel hashes (redacted reports)


def _sum_line(sha: str, name: str) -> str:
    """One ``sha256sum`` line; names with a backslash or newline are escaped as GNU coreutils does."""
    if "\\" in name or "\n" in name:
        return f"\\{sha}  {name.replace(chr(92), chr(92) * 2).replace(chr(10), chr(92) + 'n')}\n"
    return f"{sha}  {name}\n"


def _parse_sum_line(line: str) -> tuple[str, str] | None:
    escaped = line.startswith("\\")
    body = line[1:] if escaped else line
    if len(body) < 67 or body[64:66] not in ("  ", " *"):
        return None
    sha, name = body[:64], body[66:]
    if escaped:
        name = name.replace("\\n", "\n").replace("\\\\", "\\")
    return sha.lower(), name


def crop_statement(name: str, sha: str) -> str:
    """The report's HTML line binding a crop copy's name to its SHA-256 (what ``verify`` looks for)."""
    return f"<b>crop copy:</b> <code>{html.escape(name)}</code> SHA-256 <code>{sha}</code>"


def clip_statement(name: str, sha: str, first: int, last: int) -> str:
    """The report's HTML line binding a clip's name and frame range to its SHA-256 (checked by ``verify``)."""
    return f"<b>clip:</b> <code>{html.escape(name)}</code> (source frames {first}-{last}) SHA-256 <code>{sha}</code>"


def copy_hit_crops(prefix: Path, hits: list[tuple[int, ItemMeta]]) -> dict[int, Path]:
    """Copy each ``(rank, meta)`` hit's crop to ``PREFIX.crops/`` (atomically); ``{item id: copy}``.

    A missing crop is not copied (the report flags it as MISSING)."""
    folder = prefix.with_name(prefix.name + CROPS_SUFFIX)
    out = {}
    for rank, m in hits:
        if not os.path.isfile(m.crop):
            continue
        dst = folder / f"rank{rank:03d}_item{m.id}{Path(m.crop).suffix.lower() or '.jpg'}"
        atomic_copy(m.crop, dst)
        out[m.id] = dst
    return out


def write_manifests(prefix: Path, report_files: list[Path], metas: list[ItemMeta]) -> tuple[Path, Path]:
    """Write ``PREFIX.sha256`` (the report, its PDF and crop copies, relative to the report's
    folder: ``cd FOLDER && sha256sum -c NAME.sha256``) and ``PREFIX.sources.sha256`` (every
    source at its absolute path with the SHA-256 recorded at ingest, checkable where the
    footage is). Both atomically, after the files they list."""
    from ..common.atomic import atomic_write_text

    base = prefix.parent
    lines = [_sum_line(sha256_file(f), os.path.relpath(f, base)) for f in report_files]
    manifest = prefix.with_name(prefix.name + MANIFEST_SUFFIX)
    atomic_write_text(manifest, "".join(lines))
    seen, src_lines = set(), []
    for m in metas:
        if m.source not in seen:
            seen.add(m.source)
            src_lines.append(_sum_line(m.source_sha256, os.path.abspath(m.source)))
    sources = prefix.with_name(prefix.name + SOURCES_SUFFIX)
    atomic_write_text(sources, "".join(src_lines))
    return manifest, sources


@dataclass
class VerifyLine:
    path: str
    status: str  # "OK", "MISMATCH", "MISSING", "not available here" (footage only), "NOT IN REPORT"

    @property
    def ok(self) -> bool:
        return self.status in ("OK", "not available here")


def find_manifest(report: str | os.PathLike) -> Path:
    """The ``.sha256`` manifest of a report given as its prefix, its HTML/PDF, the manifest itself,
    or the folder that holds exactly one report."""
    from ..common.errors import DeepSSHError

    p = Path(report)
    if p.is_dir():
        found = sorted(f for f in p.glob("*" + MANIFEST_SUFFIX)
                       if not f.name.endswith((SOURCES_SUFFIX, ORIGINALS_SUFFIX)))
        if len(found) != 1:
            names = ", ".join(f.name for f in found) or "none"
            raise DeepSSHError(f"{str(p)!r} holds {len(found)} report manifests ({names}): name the report")
        return found[0]
    if p.name.endswith(SOURCES_SUFFIX):
        p = p.with_name(p.name[: -len(SOURCES_SUFFIX)])
    elif p.name.endswith(ORIGINALS_SUFFIX):
        p = p.with_name(p.name[: -len(ORIGINALS_SUFFIX)])
    elif p.suffix in (MANIFEST_SUFFIX, ".html", ".pdf"):
        p = p.with_suffix("")
    return p.with_name(p.name + MANIFEST_SUFFIX)


_INGEST_HASH = re.compile(r"SHA-256 at ingest:</b> <code>([0-9a-f]{64})</code>")


def _read_manifest(path: Path) -> list[tuple[str, str]]:
    from ..common.errors import DeepSSHError

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DeepSSHError(f"{str(path)!r} is not a sha256sum manifest (not UTF-8 text)") from None
    entries = [_parse_sum_line(ln) for ln in text.splitlines() if ln.strip()]
    if any(e is None for e in entries) or not entries:
        raise DeepSSHError(f"{str(path)!r} is not a sha256sum manifest")
    return entries


def verify_report(report: str | os.PathLike) -> list[VerifyLine]:
    """Check an exported report: every file of its manifest re-hashed; the manifest lists the
    report's own HTML and PDF; every crop copy's hash stated in the HTML report; the footage's
    hashes in the sources manifest are the ones the HTML states, and the footage is re-hashed
    where it is available."""
    from ..common.errors import DeepSSHError

    manifest = find_manifest(report)
    if not manifest.is_file():
        raise DeepSSHError(f"no evidence manifest at {str(manifest)!r}")
    try:
        entries = _read_manifest(manifest)
    except OSError as exc:
        raise DeepSSHError(f"no evidence manifest at {str(manifest)!r} ({exc.strerror or exc})") from None
    base = manifest.parent
    stem = manifest.name[: -len(MANIFEST_SUFFIX)]
    out, html_text, html_sha = [], None, None
    for sha, name in entries:
        path = base / name
        actual = sha256_file(path) if path.is_file() else None
        out.append(VerifyLine(name, "MISSING" if actual is None else "OK" if actual == sha else "MISMATCH"))
        if name == stem + ".html" and actual is not None:
            html_text, html_sha = path.read_text(encoding="utf-8", errors="replace"), actual
    listed = {name for _, name in entries}
    for own in (stem + ".html", stem + ".pdf"):  # a manifest without them would skip the checks below
        if own not in listed:
            out.append(VerifyLine(own, "NOT IN MANIFEST"))
    pdf = base / (stem + ".pdf")
    # reports since issue #21 say their PDF names the HTML: another report's PDF is refused
    if html_text is not None and "names this HTML file" in html_text and pdf.is_file():
        if not pdf_names_html(pdf.read_bytes(), html_sha):
            out.append(VerifyLine(pdf.name, "NOT THIS REPORT'S PDF"))
    if html_text is not None:  # the report binds each crop copy to its hash: the copies must be those crops
        for sha, name in entries:
            if CROPS_SUFFIX + "/" in name and crop_statement(name, sha) not in html_text:
                out.append(VerifyLine(name, "NOT IN REPORT"))
            elif CLIPS_SUFFIX + "/" in name and not re.search(
                    re.escape(f"<code>{html.escape(name)}</code> (source frames ") + r"\d+-\d+"
                    + re.escape(f") SHA-256 <code>{sha}</code>"), html_text):
                out.append(VerifyLine(name, "NOT IN REPORT"))
    stated = set(_INGEST_HASH.findall(html_text or ""))
    sources = manifest.with_name(stem + SOURCES_SUFFIX)
    if sources.is_file():
        for sha, name in _read_manifest(sources):
            if html_text is not None and sha not in stated:  # a rewritten sources manifest
                out.append(VerifyLine(name, "NOT IN REPORT"))
            elif not os.path.isfile(name):
                out.append(VerifyLine(name, "not available here"))
            else:
                out.append(VerifyLine(name, "OK" if sha256_file(name) == sha else "MISMATCH"))
    elif stated:
        out.append(VerifyLine(sources.name, "MISSING"))
    return out
