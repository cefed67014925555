"""``deepssh bench --cluster``: sharded search on a cluster against one process, same codes, same run.

Each worker makes its shard's synthetic codes itself (the same seeded generator the client uses
for the single-process baseline), so 10^7 codes need not travel over the network; the shard is
kept in memory in a :class:`MemoryShard` and answered by the engine's own ranking code. Every
query is also checked: the cluster's merged hits must equal the single-process engine's.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np

from ..common.progress import Progress, no_progress
from ..model.decoder import AttributeColumns
from ..model.layout import CodeLayout, default_bits_per_attr
from ..model.schema import PETA
from ..model.synthetic import SyntheticModel, synthetic_codes, synthetic_decoder
from ..search.engine import SearchEngine, SearchRequest
from ..search.gallery import ItemMeta, build_binary_index
from ..search.query import parse_query
from .engine import ShardAnswer, merge_answers
from .manifest import ShardInfo


class MemoryShard:
    """The parts of a :class:`..search.gallery.Gallery` that ranking uses, held in memory."""

    has_probabilities = False

    def __init__(self, codes: np.ndarray, layout: CodeLayout) -> None:
        self.layout = layout
        self.index = build_binary_index(codes, layout.nbits)
        self.codes = codes
        self.attr_columns = AttributeColumns.from_codes(codes, layout)
        self.attr_logits = None
        self.repairs: list[str] = []

    def __len__(self) -> int:
        return len(self.codes)

    def refresh_if_changed(self) -> bool:
        return False

    def filter_ids(self, *a) -> None:
        return None

    def items(self, ids) -> list[ItemMeta]:
        return [ItemMeta(int(i), f"crop_{i}.jpg", None, "synthetic", "", None, None, None, None, None, None)
                for i in ids]

    def attr_scores(self, ids) -> np.ndarray:
        return np.zeros((len(ids), self.layout.n_attrs), np.float32)

    @property
    def nbytes(self) -> int:
        return self.codes.nbytes + self.attr_columns.columns.nbytes


def _layout(nbits: int) -> CodeLayout:
    return CodeLayout(nbits, len(PETA), default_bits_per_attr(nbits, len(PETA)))


def shard_codes(n: int, nbits: int, seed: int, i: int, n_shards: int) -> np.ndarray:
    """The codes of shard ``i`` of ``n`` synthetic codes (contiguous, as a split makes them)."""
    b = np.linspace(0, n, n_shards + 1).round().astype(int)
    return synthetic_codes(int(b[i + 1] - b[i]), _layout(nbits), seed=seed * 1000 + i)


def memory_engine(codes: np.ndarray, nbits: int) -> SearchEngine:
    layout = _layout(nbits)
    eng = SearchEngine.__new__(SearchEngine)  # the engine without a network or files: codes are synthetic
    eng.gallery, eng.model, eng._lock = MemoryShard(codes, layout), SyntheticModel(synthetic_decoder(layout)), \
        threading.Lock()
    return eng


_SHARDS: dict[tuple, SearchEngine] = {}
_SHARDS_LOCK = threading.Lock()


def bench_shard(n: int, nbits: int, seed: int, i: int, n_shards: int, req: SearchRequest) -> ShardAnswer:
    """Run on a worker: answer ``req`` on synthetic shard ``i`` (made once, then kept)."""
    key = (n, nbits, seed, i, n_shards)
    with _SHARDS_LOCK:
        if key not in _SHARDS:
            import faiss

            faiss.omp_set_num_threads(1)
            _SHARDS[key] = memory_engine(shard_codes(n, nbits, seed, i, n_shards), nbits)
        eng = _SHARDS[key]
    query = parse_query(req.attributes, eng.model.schema, req.negated)
    hits, searched, rank, notes = eng.rank_hits(req, req.probe_code, query)
    return ShardAnswer(eng.result_hits(hits), searched, rank, notes)


def worker_memory_mb() -> float:
    from ..common.rss import rss_mb

    return rss_mb()


def _pct(xs: list[float]) -> dict:
    a = np.array(xs) * 1000
    return {"p50_ms": round(float(np.percentile(a, 50)), 3), "p95_ms": round(float(np.percentile(a, 95)), 3),
            "mean_ms": round(float(a.mean()), 3), "queries_per_s": round(1000 / float(a.mean()), 1)}


def run_cluster_bench(backend, n: int = 10_000_000, nbits: int = 256, queries: int = 50, seed: int = 0,
                      n_shards: int | None = None, progress: Progress = no_progress) -> dict:
    import faiss

    n_shards = n_shards or backend.n_workers
    names = [f"shard-{i:04d}" for i in range(n_shards)]
    bounds = np.linspace(0, n, n_shards + 1).round().astype(int)
    shards = [ShardInfo(names[i], int(bounds[i + 1] - bounds[i]), int(bounds[i])) for i in range(n_shards)]

    def cluster(req: SearchRequest):
        answers = backend.run(bench_shard, [(n, nbits, seed, i, n_shards, req) for i in range(n_shards)], names)
        return merge_answers(shards, answers, req.top)[0]

    progress(0, 3, "workers make their shards")
    t0 = time.perf_counter()
    cluster(SearchRequest(attributes="personalMale", top=1))  # every worker builds and keeps its shard
    shard_setup_s = time.perf_counter() - t0
    progress(1, 3, "the single-process baseline")
    codes = np.concatenate([shard_codes(n, nbits, seed, i, n_shards) for i in range(n_shards)])
    faiss.omp_set_num_threads(1)  # the anchor: one process, one thread, as each worker runs
    single = memory_engine(codes, nbits)
    rng = np.random.default_rng(seed + 1)
    probes = codes[rng.integers(0, n, queries)]
    attrs = [", ".join(rng.choice(PETA.names, 3, replace=False)) for _ in range(queries)]
    lat = {k: [] for k in ("faiss_flat_1thread", "single_photo", "cluster_photo", "single_attr_3", "cluster_attr_3")}
    mismatches = 0
    progress(2, 3, "queries")
    for i in range(queries):
        q = probes[i:i + 1]
        t = time.perf_counter()
        single.gallery.index.search(q, 20)
        lat["faiss_flat_1thread"].append(time.perf_counter() - t)
        for kind, req in (("photo", SearchRequest(probe_code=probes[i], top=20)),
                          ("attr_3", SearchRequest(attributes=attrs[i], top=20, rank="hamming"))):
            t = time.perf_counter()
            query = parse_query(req.attributes, PETA, "")
            a = single.result_hits(single.rank_hits(req, req.probe_code, query)[0])
            lat[f"single_{kind}"].append(time.perf_counter() - t)
            t = time.perf_counter()
            b = cluster(req)
            lat[f"cluster_{kind}"].append(time.perf_counter() - t)
            if [(h.hit.index, h.hit.score) for h in a] != [(h.hit.index, h.hit.score) for h in b]:
                mismatches += 1
        progress(2, 3, f"queries {i + 1}/{queries}")
    res = {
        "n": n, "nbits": nbits, "shards": n_shards, "workers": backend.n_workers, "queries": queries, "top": 20,
        "backend": backend.description,
        "latency": {k: _pct(v) for k, v in lat.items()},
        "results_identical": mismatches == 0, "mismatched_queries": mismatches,
        "shard_setup_s": round(shard_setup_s, 2),
        "shard_memory_mb_per_million": round(single.gallery.nbytes / 2**20 / (n / 1e6), 2),
        "worker_rss_mb": {str(k): round(v, 1) for k, v in backend.client.run(worker_memory_mb).items()}
        if hasattr(backend, "client") else None,
    }
    p = res["latency"]
    res["cluster_photo_p50_over_single_flat_p50"] = round(p["cluster_photo"]["p50_ms"] / p["faiss_flat_1thread"]["p50_ms"], 3)
    res["cluster_photo_p50_over_single_engine_p50"] = round(p["cluster_photo"]["p50_ms"] / p["single_photo"]["p50_ms"], 3)
    res["single_flat_ms_per_million"] = round(p["faiss_flat_1thread"]["p50_ms"] / (n / 1e6), 3)
    return res
