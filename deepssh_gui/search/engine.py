"""The search engine: one façade for the CLI, the GUI and the tests.

``SearchEngine(model_path, gallery_path).search(SearchRequest(...)) -> SearchResult`` with
plain dataclasses and numpy arrays only (no tensors, no Qt objects).

Photo queries without filters go through the FAISS binary index. Its result is widened to
every item tied with the k-th distance (a range search), then sorted by (distance, id),
so rankings are deterministic even though FAISS does not order ties. Attribute queries
read only the queried attributes' byte columns (see :class:`.decoder.AttributeColumns`).
"""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..common.errors import DeepSSHError
from ..common.threads import faiss_threads, search_threads
from ..model.modelfile import load_model_file
from .gallery import Gallery, ItemMeta
from .query import AttributeQuery, masked_bits, parse_query
from .ranking import DEFAULT_HYBRID_ALPHA, Hit, rank_codes
from .route import Route, build_route


@dataclass
class SearchRequest:
    attributes: str = ""  # query language, e.g. "carryingBackpack, lowerBody:dark"
    negated: str = ""  # extra comma-separated terms to negate
    probe_image: str | None = None  # image file
    probe_code: np.ndarray | None = None  # uint8 (nbytes,), e.g. "search with this hit"
    # several probes, uint8 (P, nbytes), e.g. "search with confirmed": an item's photo distance is
    # its distance to the nearest of them
    probe_codes: np.ndarray | None = None
    exclude_ids: tuple[int, ...] = ()  # items left out of the ranking (e.g. hits the examiner rejected)
    probe_box: tuple[int, int, int, int] | None = None  # x, y, w, h inside the probe image
    camera: str | None = None
    t_from: float | None = None
    t_to: float | None = None
    top: int = 20
    alpha: float = DEFAULT_HYBRID_ALPHA
    origin: str = "api"  # who asked: "cli", "gui", "api" (recorded in the audit log)
    # attribute ranking: "probability" (-log P(query) from calibrated probabilities), "hamming"
    # (DeepSSH's masked Hamming distance), or "auto": probability where the gallery stores them
    rank: str = "auto"
    examiner: str | None = None  # recorded in the audit log; default: the OS user

    def __post_init__(self) -> None:
        import math

        # NaN or inf would make every hybrid score NaN and the ranking meaningless, silently
        if not isinstance(self.alpha, (int, float)) or not math.isfinite(self.alpha) or not 0 <= self.alpha <= 1:
            raise DeepSSHError(f"alpha (the hybrid weight of the attribute part) must be a number from 0 to 1, "
                               f"got {self.alpha!r}")


@dataclass
class ResultHit:
    hit: Hit
    meta: ItemMeta
    code: np.ndarray  # uint8 (nbytes,)
    attr_scores: np.ndarray  # float32 (A,)


@dataclass
class SearchResult:
    hits: list[ResultHit]
    query: AttributeQuery
    probe_sha256: str | None
    seconds: float
    n_searched: int
    masked_bits: int = 0
    mode: str = "photo"
    notes: list[str] = field(default_factory=list)
    audit_id: int | None = None
    rank: str = "hamming"  # how attribute terms were ranked (see SearchRequest.rank)


class SearchEngine:
    """Loads a model file and a gallery (refusing a gallery that model did not build); answers searches.

    ``model`` is a model file path, or an already loaded model (a runtime ``ModelFile``, or the
    torch ``LoadedModel`` for ``--engine torch``). The network itself is only built by the first
    photo query: attribute-only searches never load it.
    """

    def __init__(self, gallery: str | Path, model, read_only: bool = False) -> None:
        self.model = load_model_file(model) if isinstance(model, (str, Path)) else model
        self.gallery = Gallery.open(gallery, self.model, read_only=read_only)  # refuses another model's gallery
        if self.model.decoder is None:
            self.gallery.close()
            raise DeepSSHError(f"model {self.model.name} has no attribute decoder; run deepssh fit-decoder")
        self.gallery.load()
        self._lock = threading.Lock()

    @property
    def schema(self):
        return self.model.schema

    def close(self) -> None:
        self.gallery.close()

    def encode_probe(self, path: str, box: tuple[int, int, int, int] | None = None) -> tuple[np.ndarray, str]:
        """``(code uint8 (nbytes,), sha256)`` of a probe image (optionally a box inside it)."""
        return encode_probe(self.model, path, box)

    def search(self, req: SearchRequest) -> SearchResult:
        import sqlite3

        with self._lock:  # one search at a time: SQLite and the probe encoder are shared
            try:
                return self._search(req)
            except sqlite3.Error as exc:  # e.g. another process holds the database past the busy timeout
                # the audit row may already be written (it goes to disk while the hits' rows are read):
                # the search then shows in the log with no results returned
                raise DeepSSHError(f"the gallery database could not be read ({exc}); no results are returned; "
                                   f"try again") from None

    def _search(self, req: SearchRequest) -> SearchResult:
        t0 = time.perf_counter()
        query = parse_query(req.attributes, self.schema, req.negated)
        probe, probe_sha = request_probe(req), None
        if req.probe_image:
            probe, probe_sha = self.encode_probe(req.probe_image, req.probe_box)
        if probe is None and not query:
            raise DeepSSHError("give attributes, a probe image, or both")
        hits, n_searched, rank, notes = self.rank_hits(req, probe, query)
        mode = "hybrid" if probe is not None and query else "photo" if probe is not None else "attributes"
        res = SearchResult([], query, probe_sha, 0.0, n_searched,
                           masked_bits(query, self.gallery.layout.bits_per_attr), mode, notes, rank=rank)
        # the record needs only the ranked ids: it is committed (and synced) on the audit thread
        # while the hits' metadata is read here, and nothing is returned before it is on disk
        pending = start_audit(self.gallery, self.model.hash, req, res, [h.index for h in hits])
        try:
            res.hits = self.result_hits(hits)
        finally:
            finish_audit(self.gallery, pending, res)
        res.seconds = time.perf_counter() - t0
        return res

    def rank_hits(self, req: SearchRequest, probe: np.ndarray | None, query: AttributeQuery
                  ) -> tuple[list[Hit], int, str, list[str]]:
        """Rank the gallery: ``(hits, items searched, attribute ranking used, notes)``; no audit.

        Hits are sorted by ``(score, id)`` (ties broken by the lower gallery id), which is what
        lets a sharded gallery merge per-shard results into exactly this ranking.
        """
        g = self.gallery
        if g.refresh_if_changed():  # another process appended items since this engine loaded them
            g.load()
        rank, notes = self._rank_mode(req.rank, bool(query))
        n = len(g.codes)
        cand = g.filter_ids(req.camera, req.t_from, req.t_to)
        if req.exclude_ids:
            ex = np.asarray(req.exclude_ids, dtype=np.int64)
            cand = np.setdiff1d(np.arange(n) if cand is None else cand, ex)
        if int(req.top) < 1:
            raise DeepSSHError(f"top must be at least 1, got {req.top}")
        k = int(req.top)
        if not n or (cand is not None and not len(cand)):
            hits: list[Hit] = []
        elif probe is not None and probe.ndim == 1 and not query and cand is None:
            hits = self._faiss_photo(probe, k)
        else:
            codes = g.codes if cand is None else g.codes[cand]
            cols = None
            if query:
                cols = g.attr_columns if cand is None else g.attr_columns.take(cand)
            logits = None
            if query and rank == "probability":
                logits = g.attr_logits if cand is None else g.attr_logits[:, cand]
            hits = rank_codes(codes, self.model.decoder, probe=probe, query=query, k=k, alpha=req.alpha, cols=cols,
                              logits=logits)
            if cand is not None:  # rows of the filtered arrays -> gallery ids
                hits = [replace(h, index=int(cand[h.index])) for h in hits]
        notes += g.repairs
        g.repairs = []
        return hits, (n if cand is None else len(cand)), rank, notes

    def result_hits(self, hits: list[Hit]) -> list[ResultHit]:
        """The hits with their stored metadata, codes and attribute probabilities."""
        g = self.gallery
        ids = [h.index for h in hits]
        metas, att, codes = g.items(ids), g.attr_scores(ids), g.codes
        return [ResultHit(h, m, codes[h.index].copy(), att[r]) for r, (h, m) in enumerate(zip(hits, metas))]

    def _rank_mode(self, asked: str, has_query: bool) -> tuple[str, list[str]]:
        if asked not in ("auto", "probability", "hamming"):
            raise DeepSSHError(f"unknown ranking {asked!r}: choose auto, probability or hamming")
        if not has_query or asked == "hamming":
            return "hamming", []
        if self.gallery.has_probabilities:
            return "probability", []
        if asked == "probability":
            raise DeepSSHError("this gallery was built before attribute probabilities were stored; "
                               "rank with --rank hamming, or add them with `deepssh gallery reencode GALLERY`")
        return "hamming", ["this gallery was built before attribute probabilities were stored: attributes are "
                           "ranked by masked Hamming distance (many ties); `deepssh gallery reencode GALLERY` "
                           "adds them"]

    def record_mark(self, item_id: int, mark: str, examiner: str | None = None) -> int | None:
        """Write an examiner's confirm / reject / clear of a hit into the audit log."""
        return audit_mark(self.gallery, self.model.hash, item_id, mark, examiner)

    def route(self, item_ids: list[int], origin: str = "cli", examiner: str | None = None) -> Route:
        """The route through these items (see :mod:`.route`), recorded in the audit log."""
        return route_of(self.gallery, self.gallery, self.model.hash, item_ids, origin, examiner)

    def _faiss_photo(self, probe: np.ndarray, k: int) -> list[Hit]:
        g = self.gallery
        q = np.ascontiguousarray(probe[None], dtype=np.uint8)
        index = g.index
        kk = min(k, index.ntotal)
        k2 = min(index.ntotal, 2 * kk + 16)
        with faiss_threads(search_threads()):  # one query, one thread (common/threads.py)
            dist, ids = index.search(q, k2)
        rd, ri = dist[0], ids[0]
        from .gallery import is_flat

        keep = ri >= 0  # IVF may return fewer than asked
        rd, ri = rd[keep], ri[keep]
        kk = min(kk, len(ri))
        if not kk:
            return []
        cut = int(rd[kk - 1])
        if is_flat(index) and k2 < index.ntotal and int(rd[k2 - 1]) <= cut:
            # more items may tie with the k-th distance than were returned: fetch all of them
            with faiss_threads(search_threads()):
                _, rd, ri = index.range_search(q, cut + 1)
        order = np.lexsort((ri, rd))[:kk]
        return [Hit(int(ri[j]), r + 1, float(rd[j]), int(rd[j]), None) for r, j in enumerate(order)]


def audit_search(gallery: Gallery, model_hash: str, req: SearchRequest, res: SearchResult,
                 gallery_state: str | None = None) -> None:
    """Every search is recorded before its results are returned: in the gallery's chained
    log, or for a read-only gallery in the user's own chained log (and the result says so).
    A search whose record cannot be written fails."""
    finish_audit(gallery, start_audit(gallery, model_hash, req, res, [h.hit.index for h in res.hits], gallery_state),
                 res)


def start_audit(gallery: Gallery, model_hash: str, req: SearchRequest, res: SearchResult, result_ids: list[int],
                gallery_state: str | None = None) -> "Future[int | None]":
    """Start writing the audit row of ``res`` (its hits: ``result_ids``); :func:`finish_audit` waits for it."""
    filters = json.dumps({k: v for k, v in (("camera", req.camera), ("from", req.t_from), ("to", req.t_to),
                                            ("top", req.top), ("alpha", req.alpha if res.mode == "hybrid" else None),
                                            ("rank", res.rank if res.query else None),
                                            ("probe_box", req.probe_box),
                                            ("exclude", list(req.exclude_ids) or None)) if v is not None})
    probe = res.probe_sha256
    if probe is None and req.probe_code is not None:
        probe = "code:" + np.asarray(req.probe_code, np.uint8).tobytes().hex()
    if probe is None and req.probe_codes is not None:
        probe = "codes:" + ",".join(c.tobytes().hex() for c in np.asarray(req.probe_codes, np.uint8))
    return gallery.append_audit_async(req.origin, res.mode, res.query.text, probe, filters, model_hash, result_ids,
                                      examiner=req.examiner, gallery_state=gallery_state)


def finish_audit(gallery: Gallery, pending: "Future[int | None]", res: SearchResult) -> None:
    """Wait for the audit row started by :func:`start_audit`; DeepSSHError (no results) if it failed."""
    from . import audit
    from .gallery import GalleryError

    try:
        res.audit_id = pending.result()
    except (GalleryError, OSError) as exc:
        raise DeepSSHError(f"the search was not run to the end: its audit record could not be written ({exc}); "
                           f"no results are returned") from None
    if res.audit_id is None:
        res.notes.append(f"the gallery is read-only: this search was recorded in your own audit log "
                         f"{audit.user_log_path(gallery.info)}")


def encode_probe(model, path: str, box: tuple[int, int, int, int] | None = None) -> tuple[np.ndarray, str]:
    """``(code uint8 (nbytes,), sha256)`` of a probe image (optionally a box inside it)."""
    from .gallery import sha256_file
    from ..common.imageio import read_rgb, resize_rgb

    img = read_rgb(path)
    if box is not None:
        x, y, w, h = (int(v) for v in box)
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(img.shape[1], x + w), min(img.shape[0], y + h)
        if x1 - x0 < 4 or y1 - y0 < 4:
            raise DeepSSHError(f"the box {box} lies outside the {img.shape[1]}x{img.shape[0]} probe image")
        img = img[y0:y1, x0:x1]
    codes, _, _ = model.encoder().encode(resize_rgb(img, model.config.input_hw)[None])
    return codes[0], sha256_file(path)


MARKS = ("confirmed", "rejected", "cleared")


def audit_mark(gallery: Gallery, model_hash: str, item_id: int, mark: str, examiner: str | None = None,
               gallery_state: str | None = None) -> int | None:
    """Record that the examiner confirmed, rejected or cleared item ``item_id`` (mode ``mark``)."""
    from .gallery import GalleryError

    if mark not in MARKS:
        raise DeepSSHError(f"unknown mark {mark!r}: use one of {', '.join(MARKS)}")
    try:
        return gallery.append_audit("gui", "mark", mark, None, json.dumps({"item": int(item_id)}), model_hash,
                                    [int(item_id)], examiner=examiner, gallery_state=gallery_state)
    except (GalleryError, OSError) as exc:
        raise DeepSSHError(f"the mark was not recorded: the audit log could not be written ({exc})") from None


def route_of(items_from, audit_to, model_hash: str, item_ids: list[int], origin: str, examiner: str | None,
             gallery_state: str | None = None) -> Route:
    """Build the route through ``item_ids`` (read from ``items_from``) and audit it in ``audit_to``."""
    from .gallery import GalleryError

    ids = sorted({int(i) for i in item_ids})
    outside = [i for i in ids if not 0 <= i < len(items_from)]
    if outside:
        raise DeepSSHError(f"no item with id {', '.join(map(str, outside))} in this gallery")
    metas = items_from.items(ids)  # a row missing inside the id range: GalleryError names it
    route = build_route(metas)
    try:
        route.audit_id = audit_to.append_audit(origin, "route", "\n".join(route.lines()), None,
                                               json.dumps({"items": ids}), model_hash, ids, examiner=examiner,
                                               gallery_state=gallery_state)
    except (GalleryError, OSError) as exc:
        raise DeepSSHError(f"the route was not recorded: the audit log could not be written ({exc})") from None
    return route


def request_probe(req: SearchRequest) -> np.ndarray | None:
    """The request's probe code(s): ``uint8 (nbytes,)``, ``(P, nbytes)`` for several, or None."""
    if req.probe_code is not None and req.probe_codes is not None:
        raise DeepSSHError("give one probe code or several, not both")
    if req.probe_codes is not None:
        codes = np.asarray(req.probe_codes, dtype=np.uint8)
        if codes.ndim != 2 or not len(codes):
            raise DeepSSHError("several probes must be a non-empty (P, nbytes) array of codes")
        return codes
    return None if req.probe_code is None else np.asarray(req.probe_code, dtype=np.uint8)
