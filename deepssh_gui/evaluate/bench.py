"""``deepssh bench``: search latency, build/load time and memory on synthetic galleries.

Codes are random in their identity bits. Their attribute bits are thermometer patterns drawn
from PETA-like attribute priors, so masked queries see realistic segment values. The gallery
is real: SQLite metadata, a FAISS index and attribute columns on disk, loaded back as the
engine loads them. FAISS ``IndexBinaryFlat`` is timed in the same run as the baseline.
"""

from __future__ import annotations

import gc
import os
import shutil
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from ..model.layout import CodeLayout, default_bits_per_attr
from ..common.threads import faiss_threads
from ..model.synthetic import SyntheticModel, synthetic_codes, synthetic_decoder
from ..common.progress import Progress, no_progress
from ..model.schema import PETA


def _percentiles(xs: list[float]) -> dict:
    a = np.array(xs) * 1000
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3), "p99_ms": round(float(p99), 3)}


def _stable(lat: dict[str, list[float]], prev: dict[str, float] | None, tol: float = 0.1) -> tuple[bool, dict]:
    """Whether every kind's p50 moved less than ``tol`` (relative) since the previous round."""
    now = {k: float(np.percentile(v, 50)) for k, v in lat.items()}
    if prev is None:
        return False, now
    return all(abs(now[k] - prev[k]) <= tol * prev[k] for k in now), now


def write_synthetic_gallery(root: Path, codes: np.ndarray, layout: CodeLayout, progress: Progress,
                            model=None) -> None:
    """A real gallery directory with one metadata row per code (no thumbnails).

    With ``model`` (a LoadedModel) the gallery claims that model, so the engine opens it.
    """
    import json

    from ..search.gallery import DB_NAME, GALLERY_FORMAT_VERSION, _SCHEMA_SQL

    root.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(root / DB_NAME)
    info = {"format_version": str(GALLERY_FORMAT_VERSION), "package_version": "bench",
            "model_hash": model.hash if model else "synthetic", "model_name": model.name if model else "synthetic",
            "nbits": str(layout.nbits), "n_attrs": str(layout.n_attrs),
            "bits_per_attr": str(layout.bits_per_attr), "attr_step": "2.0",
            "schema": json.dumps((model.schema if model else PETA).to_dict()), "created": "bench",
            "attr_scores": "calibrated"}
    # probabilities agreeing with each code's attribute decision bits, spread like real ones
    rng = np.random.default_rng(1)
    from ..model.calibration import probability_bytes
    from ..model.decoder import attribute_segments

    with conn:
        conn.executescript(_SCHEMA_SQL)
        conn.executemany("INSERT INTO info VALUES (?, ?)", info.items())
        n = len(codes)
        step = 100_000
        for s in range(0, n, step):
            block = codes[s:s + step]
            yes = attribute_segments(block, layout) > 0
            p = np.where(yes, rng.uniform(0.5, 1.0, yes.shape), rng.uniform(0.0, 0.5, yes.shape)).astype(np.float32)
            q = probability_bytes(p)  # as real galleries store them: one logit byte per attribute
            rows = ((i, f"crops/synthetic/crop_{i}.jpg", None, "synthetic.avi", "0" * 64, f"c{i % 8}", i, i * 0.1,
                     0, 0, 64, 128, i // 10, None, codes[i].tobytes(), q[i - s].tobytes())
                    for i in range(s, min(n, s + step)))
            conn.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
            progress(min(n, s + step), n, "writing metadata")
        # every item's source is an ingested source (galleries refuse items whose source is not)
        conn.execute("INSERT INTO sources (path, sha256, kind, status, detail, n_items, added) "
                     "VALUES ('synthetic.avi', ?, 'video', 'done', NULL, ?, 0)", ("0" * 64, n))
    conn.close()


def real_like_codes(base: np.ndarray, n: int, flip: float, n_probes: int, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``(gallery uint8 (n, nbytes), probes uint8 (n_probes, nbytes))`` that cluster like real codes.

    Each base code ``uint8 (M, nbytes)`` stands for one person seen ``n / M`` times: every
    gallery code is a copy of a base code with each bit flipped with probability ``flip``, and
    every probe is a fresh noisy copy, i.e. a new sighting of someone in the gallery.
    """
    rng = np.random.default_rng(seed)
    base = np.ascontiguousarray(base, dtype=np.uint8)
    nbits = base.shape[1] * 8

    def noisy(rows: np.ndarray) -> np.ndarray:
        out = base[rows]
        for s in range(0, len(out), 250_000):  # bounded memory for the flip masks
            part = out[s:s + 250_000]
            part ^= np.packbits(rng.random((len(part), nbits), dtype=np.float32) < flip, axis=1)
        return out

    return noisy(np.arange(n) % len(base)), noisy(rng.integers(0, len(base), n_probes))


def ivf_recall(codes: np.ndarray, probes: np.ndarray, nbits: int, k: int = 20) -> dict:
    """Build an IndexBinaryIVF over ``codes`` and compare it with exact flat search.

    Recall@k counts an IVF result as correct when its distance is within the exact k-th
    distance (so equally distant items are interchangeable, as ties are). Both indexes are
    built in the same run, so their build times compare.
    """
    import faiss

    from ..search.gallery import IVF_NPROBE, build_binary_index

    t0 = time.perf_counter()
    ivf = build_binary_index(codes, nbits, ivf=True)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    flat = build_binary_index(codes, nbits)
    flat_s = time.perf_counter() - t0
    lat_flat, exact = [], []
    with faiss_threads(1):
        for q in probes:
            t = time.perf_counter()
            exact.append(flat.search(q[None], k)[0][0, -1])
            lat_flat.append(time.perf_counter() - t)
    by_nprobe = {}
    for nprobe in sorted({IVF_NPROBE, 32, 64, 128}):
        ivf.nprobe = nprobe
        lat_ivf, rec = [], []
        with faiss_threads(1):
            for q, kth in zip(probes, exact):
                t = time.perf_counter()
                idist, iid = ivf.search(q[None], k)
                lat_ivf.append(time.perf_counter() - t)
                rec.append(float(((idist[0] <= kth) & (iid[0] >= 0)).sum()) / k)
        by_nprobe[nprobe] = {f"recall_at_{k}": round(float(np.mean(rec)), 4), "ivf": _percentiles(lat_ivf)}
    return {"n": len(codes), "nlist": int(ivf.nlist), "nprobe": IVF_NPROBE, "build_s": round(build_s, 2),
            "flat_build_s": round(flat_s, 3), **by_nprobe[IVF_NPROBE], "flat_same_run": _percentiles(lat_flat),
            "by_nprobe": by_nprobe}


def _finalize_s(root: Path, ivf: bool) -> float:
    """Seconds to rebuild a gallery's derived files (index, columns) from its database."""
    from ..search.gallery import Gallery

    g = Gallery.open(root)
    try:
        t0 = time.perf_counter()
        g.finalize(ivf=ivf)
        return time.perf_counter() - t0
    finally:
        g.close()


def run_bench(n: int = 1_000_000, nbits: int = 256, queries: int = 50, seed: int = 0,
              progress: Progress = no_progress, workdir: str | None = None, with_ivf: bool = False,
              max_rounds: int = 5, ivf_base: np.ndarray | None = None) -> dict:
    """Latency of every query kind on an ``n``-code synthetic gallery, with in-run anchors.

    ``with_ivf`` also builds the gallery with an IVF index (build time against flat) and
    measures IVF recall on real-like codes: noisy copies of ``ivf_base`` ``uint8 (M, nbytes)``
    (e.g. encoded crops), or of synthetic people when None.
    """
    import faiss

    from ..search.engine import SearchEngine
    from ..search.gallery import DB_NAME, Gallery

    layout = CodeLayout(nbits, len(PETA), default_bits_per_attr(nbits, len(PETA)))
    codes = synthetic_codes(n, layout, seed)
    tmp = Path(tempfile.mkdtemp(prefix="deepssh-bench-", dir=workdir))
    try:
        write_synthetic_gallery(tmp, codes, layout, progress)
        del codes
        gc.collect()
        t0 = time.perf_counter()
        g = Gallery.open(tmp)
        g.finalize()  # builds index.faiss and attr_columns.npy from the database
        build_s = time.perf_counter() - t0
        g.close()
        load_s, rss_delta = _load_in_fresh_process(tmp)
        g = Gallery.open(tmp, read_only=False)
        g.load()
        eng = SearchEngine.__new__(SearchEngine)  # the engine without a network: codes are synthetic
        eng.gallery, eng.model = g, SyntheticModel(synthetic_decoder(layout))
        eng._lock = __import__("threading").Lock()
        from ..search.engine import SearchRequest

        rng = np.random.default_rng(seed + 1)
        probes = g.codes[rng.integers(0, n, queries)]
        names = PETA.names
        lat = {"faiss_flat_1thread": [], "faiss_flat_all_threads": [], "photo": [], "attr_1": [], "attr_3": [],
               "attr_6": [], "hybrid_3": [], "attr_3_hamming": [], "hybrid_3_hamming": []}
        flat = g.index
        codes64 = np.ascontiguousarray(g.codes).view(np.uint64)
        floor = []

        def timed(key, fn) -> None:
            t = time.perf_counter()
            fn()
            lat[key].append(time.perf_counter() - t)

        # rounds of `queries` queries until every p50 is stable within 10% (at most max_rounds)
        prev, rounds = None, 0
        while rounds < max_rounds:
            rounds += 1
            for i in range(queries):
                q = probes[i:i + 1]
                t = time.perf_counter()
                np.count_nonzero(codes64)  # one pass over the codes: the memory-bandwidth floor of a scan
                floor.append(time.perf_counter() - t)
                with faiss_threads(1):
                    timed("faiss_flat_1thread", lambda: flat.search(q, 20))
                timed("faiss_flat_all_threads", lambda: flat.search(q, 20))
                timed("photo", lambda: eng.search(SearchRequest(probe_code=probes[i], top=20)))
                for m in (1, 3, 6):
                    attrs = ", ".join(rng.choice(names, m, replace=False))
                    timed(f"attr_{m}", lambda: eng.search(SearchRequest(attributes=attrs, top=20)))
                attrs = ", ".join(rng.choice(names, 3, replace=False))
                timed("hybrid_3", lambda: eng.search(SearchRequest(attributes=attrs, probe_code=probes[i], top=20)))
                timed("attr_3_hamming", lambda: eng.search(SearchRequest(attributes=attrs, top=20, rank="hamming")))
                timed("hybrid_3_hamming", lambda: eng.search(SearchRequest(attributes=attrs, probe_code=probes[i],
                                                                          top=20, rank="hamming")))
                progress(i + 1, queries, f"queries, round {rounds}")
            done, prev = _stable(lat, prev)
            if done:
                break
        disk = {p.name: p.stat().st_size for p in tmp.iterdir() if p.is_file()}
        raw = n * layout.nbytes
        res = {
            "n": n, "nbits": nbits, "bits_per_attr": layout.bits_per_attr, "queries": queries, "top": 20,
            "latency": {k: _percentiles(v) for k, v in lat.items()}, "rounds": rounds,
            "scan_floor_one_pass": _percentiles(floor),
            "photo_p50_over_faiss_p50": None,  # the anchor: FAISS flat search on one thread, same run
            "build_index_s": round(build_s, 3), "load_s": round(load_s, 3),
            "raw_code_mb": round(raw / 2**20, 2),
            "resident_after_load_mb": round(rss_delta, 2),
            "resident_over_raw_codes": round(rss_delta * 2**20 / raw, 3),
            "disk_mb": {k: round(v / 2**20, 2) for k, v in disk.items()},
            # the metadata database per item (its rows: synthetic paths, no thumbnails, one source)
            "sqlite_bytes_per_item": round(disk.get(DB_NAME, 0) / n, 1),
            "threads": faiss.omp_get_max_threads(),
        }
        p50 = res["latency"]
        anchor = p50["faiss_flat_1thread"]
        res["photo_p50_over_faiss_p50"] = round(p50["photo"]["p50_ms"] / anchor["p50_ms"], 3)
        res["photo_p95_over_faiss_p95"] = round(p50["photo"]["p95_ms"] / anchor["p95_ms"], 3)
        res["photo_p99_over_faiss_p99"] = round(p50["photo"]["p99_ms"] / anchor["p99_ms"], 3)
        for key in ("attr_1", "attr_3", "attr_6", "attr_3_hamming", "hybrid_3", "hybrid_3_hamming"):
            res[f"{key}_p50_over_photo_p50"] = round(p50[key]["p50_ms"] / p50["photo"]["p50_ms"], 3)
        if with_ivf:
            random_codes = np.array(g.codes)  # uniform random identity bits: IVF's worst case
            g.close()
            # the gallery build (database -> index and columns), flat then IVF, same gallery, same run
            flat_s, ivf_s = _finalize_s(tmp, ivf=False), _finalize_s(tmp, ivf=True)
            # 4 decimals: a small gallery's build takes milliseconds, which 2 decimals showed as 0.0
            res["ivf_gallery_build"] = {"flat_s": round(flat_s, 4), "ivf_s": round(ivf_s, 4),
                                        "ivf_over_flat": round(ivf_s / flat_s, 2)}
            # recall where codes cluster like real ones: synthetic people seen 20 times each, and
            # (given encoded crops) real codes seen n/M times; 6% of the bits flipped per sighting
            bases = {"ivf_vs_flat": (synthetic_codes(max(1, n // 20), layout, seed + 2), "synthetic people")}
            if ivf_base is not None:
                bases["ivf_vs_flat_encoded"] = (ivf_base, "encoded crops")
            for key, (base, what) in bases.items():
                codes, probes_rl = real_like_codes(base, n, 0.06, queries, seed + 3)
                res[key] = {"codes": f"real-like: {n} noisy copies of {len(base)} {what}, 6% of bits flipped",
                            **ivf_recall(codes, probes_rl, codes.shape[1] * 8)}
                del codes
            noisy = np.unpackbits(probes, axis=1)  # near-duplicates of gallery codes
            flip = rng.random(noisy.shape) < 0.08
            res["ivf_vs_flat_random"] = {"codes": "uniform random identity bits (IVF's worst case)",
                                         **ivf_recall(random_codes, np.packbits(noisy ^ flip, axis=1), nbits)}
            return res
        g.close()
        return res
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _load_in_fresh_process(root: Path) -> tuple[float, float]:
    """``(seconds, resident MB added)`` for opening and loading the gallery in a new process,
    so that neither the allocator's free lists nor warm Python objects hide the cost."""
    import json
    import subprocess
    import sys

    code = (
        "import json, time\n"
        "from deepssh_gui.common.rss import rss_mb as _rss_mb\n"
        "from deepssh_gui.search.gallery import Gallery\n"
        "import faiss, numpy\n"
        "r0 = _rss_mb(); t0 = time.perf_counter()\n"
        f"g = Gallery.open({str(root)!r}); g.load(); n = len(g)\n"
        "t = time.perf_counter() - t0\n"
        "print(json.dumps([t, _rss_mb() - r0, n]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    t, rss, _ = json.loads(out.strip().splitlines()[-1])
    return t, rss
