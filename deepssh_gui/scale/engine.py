"""Searching a sharded gallery: every shard answers the same request, the client merges.

Each shard returns its own top ``k`` sorted by ``(score, local id)``. Scores depend on the item
and the query only, and global ids keep the shards' order (``first_id + local id``), so sorting
the union by ``(score, global id)`` and keeping ``k`` gives exactly the ranking the
single-gallery engine gives on the same items, ties included. The probe photo is encoded once,
by the client; workers need the model file only for its decoder and its hash.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..common.errors import DeepSSHError
from ..model.modelfile import load_model_file, opens_galleries_of
from ..search.engine import (ResultHit, SearchEngine, SearchRequest, SearchResult, audit_mark, audit_search, route_of,
                              encode_probe, request_probe)
from ..search.gallery import Gallery, GalleryError
from ..search.query import masked_bits, parse_query
from .backend import InlineBackend
from .manifest import AUDIT_DIR, ShardInfo, ShardManifest, read_manifest
from .sharded import ShardedGallery, check_shard_identity


@dataclass
class ShardAnswer:
    hits: list[ResultHit]  # local ids, sorted by (score, id)
    n_searched: int
    rank: str
    notes: list[str]


# ----------------------------------------------------------------------------- worker side

_OPEN: dict[tuple[str, str], SearchEngine] = {}
_OPEN_LOCK = threading.Lock()


def _shard_engine(shard_dir: str, model_path: str) -> SearchEngine:
    """The worker's engine for one shard, opened once per worker process and kept."""
    key = (shard_dir, model_path)
    with _OPEN_LOCK:
        eng = _OPEN.get(key)
        if eng is None:  # queries run on one thread each (common/threads.py)
            eng = SearchEngine(shard_dir, model_path, read_only=True)
            _OPEN[key] = eng
        return eng


def search_shard(shard_dir: str, model_path: str, expected_items: int, req: SearchRequest,
                 info: ShardInfo | None = None) -> ShardAnswer:
    """Run on a worker: rank one shard for ``req`` (whose probe is already a code). No audit.

    ``info`` is the manifest's record of the shard: its gallery identity is checked, so swapped or
    copied shard folders are refused instead of answering with other people's ids."""
    if not Path(shard_dir).is_dir():
        raise GalleryError(f"shard folder {shard_dir!r} is missing")
    eng = _shard_engine(shard_dir, model_path)
    if info is not None:
        check_shard_identity(eng.gallery, info)
    if eng.gallery.refresh_if_changed():
        eng.gallery.load()
    n = len(eng.gallery)
    if n != expected_items:
        # its global ids would shift: refuse rather than mislabel hits
        raise GalleryError(f"shard {Path(shard_dir).name} holds {n} items but the manifest says {expected_items}")
    query = parse_query(req.attributes, eng.schema, req.negated)
    hits, searched, rank, notes = eng.rank_hits(req, request_probe(req), query)
    return ShardAnswer(eng.result_hits(hits), searched, rank, notes)


# ----------------------------------------------------------------------------- client side

def merge_answers(shards: list, answers: dict[str, ShardAnswer], top: int
                  ) -> tuple[list[ResultHit], int, str, list[str]]:
    """The global top ``top`` of per-shard answers: ``(hits, items searched, ranking, notes)``.

    ``shards`` are the manifest's :class:`.manifest.ShardInfo` (for names and ``first_id``).
    """
    hits, notes, searched, ranks = [], [], 0, set()
    for s in shards:
        a = answers[s.name]
        searched += a.n_searched
        ranks.add(a.rank)
        notes += [f"{s.name}: {n}" for n in a.notes]
        for rh in a.hits:
            gid = s.first_id + rh.hit.index
            hits.append(replace(rh, hit=replace(rh.hit, index=gid), meta=replace(rh.meta, id=gid)))
    if len(ranks) > 1:  # some shards lack probabilities: their scores are not comparable
        raise DeepSSHError("the shards rank attributes differently (some lack probabilities); "
                           "re-encode them with `deepssh gallery reencode`, or search with --rank hamming")
    hits.sort(key=lambda rh: (rh.hit.score, rh.hit.index))
    hits = [replace(rh, hit=replace(rh.hit, rank=r + 1)) for r, rh in enumerate(hits[:top])]
    return hits, searched, (ranks.pop() if ranks else "hamming"), notes


class ShardedEngine:
    """``search(SearchRequest) -> SearchResult`` over a sharded gallery, like :class:`SearchEngine`.

    ``backend`` runs the shard tasks (:func:`.backend.connect`; default: this process) and is
    closed with the engine. Every
    search is written to the sharded gallery's own audit log before results are returned.
    """

    def __init__(self, root: str | Path, model, backend=None, read_only: bool = False) -> None:
        self.root = Path(root)
        self.manifest: ShardManifest = read_manifest(self.root)
        self.model = load_model_file(model) if isinstance(model, (str, Path)) else model
        if self.model.decoder is None:
            raise DeepSSHError(f"model {self.model.name} has no attribute decoder; run deepssh fit-decoder")
        m = self.manifest
        if not opens_galleries_of(self.model, m.model_hash):
            raise GalleryError(f"sharded gallery {str(self.root)!r} was built by model {m.model_name} "
                               f"(hash {m.model_hash[:12]}), not by {self.model.name} ({self.model.hash[:12]})")
        unfinished = [s.name for s in m.shards if not s.complete]
        if unfinished:
            raise GalleryError(f"shards {', '.join(unfinished)} of {str(self.root)!r} are still being built; "
                               f"run the same `deepssh gallery build` again to finish them")
        self.model_path = str(Path(self.model.path).resolve())
        audit_dir = self.root / AUDIT_DIR
        audit = (Gallery.open(audit_dir, self.model, read_only=True) if read_only
                 else Gallery.create(audit_dir, self.model))
        self.gallery = ShardedGallery(self.root, m, self.model, audit)
        self.backend = backend or InlineBackend()
        self._lock = threading.Lock()

    @property
    def schema(self):
        return self.model.schema

    @property
    def layout(self):
        return self.model.config.layout

    def close(self) -> None:
        """Close the shards, the audit log and the backend (a local cluster it started stops)."""
        self.gallery.close()
        if isinstance(self.backend, InlineBackend):  # this process opened the shards: close them too
            with _OPEN_LOCK:
                for s in self.manifest.shards:
                    eng = _OPEN.pop((str(self.root / s.name), self.model_path), None)
                    if eng is not None:
                        eng.close()
        self.backend.close()

    def search(self, req: SearchRequest) -> SearchResult:
        with self._lock:
            return self._search(req)

    def record_mark(self, item_id: int, mark: str, examiner: str | None = None) -> int | None:
        """Write an examiner's confirm / reject / clear of a hit (global id) into the set's audit log."""
        return audit_mark(self.gallery.audit, self.model.hash, item_id, mark, examiner, self.gallery.state())

    def route(self, item_ids: list[int], origin: str = "cli", examiner: str | None = None):
        """The route through these items (global ids), recorded in the set's audit log."""
        return route_of(self.gallery, self.gallery.audit, self.model.hash, item_ids, origin, examiner,
                        self.gallery.state())

    def _search(self, req: SearchRequest) -> SearchResult:
        t0 = time.perf_counter()
        query = parse_query(req.attributes, self.schema, req.negated)
        probe, probe_sha = request_probe(req), None
        if req.probe_image:
            probe, probe_sha = encode_probe(self.model, req.probe_image, req.probe_box)
        if probe is None and not query:
            raise DeepSSHError("give attributes, a probe image, or both")
        if int(req.top) < 1:
            raise DeepSSHError(f"top must be at least 1, got {req.top}")
        one = probe is not None and probe.ndim == 1
        shard_req = replace(req, probe_image=None, probe_box=None, probe_code=probe if one else None,
                            probe_codes=None if one else probe)
        shards = self.manifest.shards
        tasks = [(str(self.root / s.name), self.model_path, s.n_items, replace(shard_req, exclude_ids=tuple(
            g - s.first_id for g in req.exclude_ids if s.first_id <= g < s.first_id + s.n_items)), s)
            for s in shards]
        answers = self.backend.run(search_shard, tasks, [s.name for s in shards])
        hits, searched, rank, notes = merge_answers(shards, answers, int(req.top))
        mode = "hybrid" if probe is not None and query else "photo" if probe is not None else "attributes"
        res = SearchResult(hits, query, probe_sha, time.perf_counter() - t0, searched,
                           masked_bits(query, self.layout.bits_per_attr), mode, notes,
                           rank=rank)
        audit_search(self.gallery.audit, self.model.hash, req, res, gallery_state=self.gallery.state())
        return res
