"""The per-subset re-identification protocol used by validation and ``deepssh evaluate``.

Within each subset: every image of an identity with >= 2 images is a query; the gallery is
every other image of the subset (singletons stay in as distractors). Where the subset has
two or more cameras, same-identity same-camera images are junk (removed from the ranking),
as in the Market-1501 protocol.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from ..learn.datasets.base import Sample
from .metrics import query_hits, summarise_hits


@dataclass
class SubsetResult:
    subset: str
    n_images: int
    n_queries: int
    mAP: float
    cmc: np.ndarray  # float64 (max_rank,)
    # per valid query, for paired comparisons of two models (tools/paired_compare.py)
    query_ids: np.ndarray | None = field(default=None, repr=False)  # str (n_queries,) identities
    aps: np.ndarray | None = field(default=None, repr=False)  # float64 (n_queries,) average precisions


def subset_indices(samples: list[Sample]) -> dict[str, np.ndarray]:
    out: dict[str, list[int]] = {}
    for i, s in enumerate(samples):
        out.setdefault(s.subset, []).append(i)
    return {k: np.array(v) for k, v in sorted(out.items())}


def evaluate_subsets(samples: list[Sample], dist_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     max_rank: int = 20) -> tuple[list[SubsetResult], dict]:
    """Run the protocol. ``dist_fn(q_idx, g_idx)`` returns a ``(len(q), len(g))`` distance matrix.

    Returns per-subset results and an overall summary weighted by number of queries.
    """
    results = []
    for subset, idx in subset_indices(samples).items():
        ids = np.array([samples[i].identity for i in idx])
        counts = Counter(ids.tolist())
        qmask = np.array([counts[x] >= 2 for x in ids])
        if not qmask.any():
            continue
        q_idx = idx[qmask]
        cams = np.array([samples[i].camera or "" for i in idx])
        multi_cam = len(set(cams.tolist()) - {""}) >= 2
        dist = dist_fn(q_idx, idx)
        q_pos = np.flatnonzero(qmask)
        junk = np.zeros(dist.shape, dtype=bool)
        junk[np.arange(q_pos.size), q_pos] = True  # the query itself
        if multi_cam:
            junk |= (ids[q_pos][:, None] == ids[None, :]) & (cams[q_pos][:, None] == cams[None, :])
        hits = query_hits(dist, ids[q_pos], ids, junk)
        aps, cmc = summarise_hits(hits, max_rank)
        if aps.size:
            valid = np.array([h is not None for h in hits])
            results.append(SubsetResult(subset, int(idx.size), aps.size, float(aps.mean()), cmc,
                                        ids[q_pos][valid], aps))
    total = sum(r.n_queries for r in results)
    summary = {
        "n_queries": total,
        "mAP": float(sum(r.mAP * r.n_queries for r in results) / total) if total else float("nan"),
        "cmc": (sum(r.cmc * r.n_queries for r in results) / total).tolist() if total else [],
    }
    return results, summary


def evaluate_classic(samples: list[Sample], dist_fn: Callable[[np.ndarray, np.ndarray], np.ndarray],
                     n_ids: int | None = None, trials: int = 10, seed: int = 0,
                     ranks: tuple[int, ...] = (1, 5, 10, 20)) -> dict[str, dict]:
    """The published single-shot protocol (VIPeR, CUHK03 "classic"), per subset with >= 2 cameras.

    Each trial draws ``n_ids`` identities seen by two or more cameras (all of them when None
    or when fewer exist) and, for each, two cameras and one image from each: the image from the
    camera that sorts first is the probe, the other joins the gallery. Probes are ranked against
    that gallery of ``n_ids`` images; CMC values are averaged over ``trials`` (seeded) trials.
    """
    out: dict[str, dict] = {}
    for subset, idx in subset_indices(samples).items():
        by_id: dict[str, dict[str, list[int]]] = {}
        for i in idx:
            cam = samples[i].camera
            if cam:
                by_id.setdefault(samples[i].identity, {}).setdefault(cam, []).append(int(i))
        eligible = sorted(pid for pid, cams in by_id.items() if len(cams) >= 2)
        if len(eligible) < 2:
            continue
        n = min(n_ids or len(eligible), len(eligible))
        rng = np.random.default_rng(seed)
        cmc_sum = np.zeros(max(ranks))
        for _ in range(trials):
            chosen = [eligible[j] for j in rng.choice(len(eligible), size=n, replace=False)]
            probes, gallery = [], []
            for pid in chosen:
                cams = sorted(by_id[pid])
                pair = sorted(rng.choice(len(cams), size=2, replace=False))
                probes.append(int(rng.choice(by_id[pid][cams[pair[0]]])))
                gallery.append(int(rng.choice(by_id[pid][cams[pair[1]]])))
            dist = dist_fn(np.array(probes), np.array(gallery))
            # The true match is gallery position i for probe i. Hamming distances tie often: the CMC
            # is its expectation under a uniformly random order of the tied images, so neither
            # file order nor a lucky tie-break changes it.
            true = dist[np.arange(n), np.arange(n)]
            better = (dist < true[:, None]).sum(1)
            tied = (dist == true[:, None]).sum(1)  # includes the match itself
            r = np.arange(1, max(ranks) + 1)
            cmc_sum += np.clip((r[None, :] - better[:, None]) / tied[:, None], 0, 1).mean(0)
        cmc = cmc_sum / trials
        out[subset] = {"n_ids": n, "trials": trials, **{f"rank{r}": float(cmc[r - 1]) for r in ranks}}
    return out
