"""Identity-balanced batches for metric learning across sources and cameras.

A batch holds ``p`` identities with ``k`` images each (the "P x K" batch of batch-hard
triplet training) followed by ``extra`` images drawn uniformly from the whole set, so
that identities with a single image (PETA's CUHK and MIT subsets) still teach the
attribute classifier. With ``extra_labelled`` those extra images are drawn only from crops with
at least one attribute label, so identity-only sources (CUHK03, CUHK01) do not dilute the
attribute part of the batch. Within an identity, images are taken camera by camera in turn, so
that a positive pair crosses cameras whenever the identity has more than one.
"""

from __future__ import annotations

import numpy as np
import torch

from .datasets.base import SampleSet


class PKSampler:
    def __init__(self, data: SampleSet, p: int, k: int, extra: int = 0, extra_labelled: bool = False) -> None:
        if p < 1 or k < 2:
            raise ValueError(f"a P x K batch needs p >= 1 and k >= 2, got p={p}, k={k}")
        pids, _ = data.identity_index()
        self.n = len(data)
        self.p, self.k, self.extra = p, k, extra
        self.extra_pool = np.flatnonzero((data.labels >= 0).any(axis=1)) if extra_labelled else None
        if self.extra_pool is not None and extra and not len(self.extra_pool):
            raise ValueError("extra_labelled asks for attribute-labelled crops, and the set has none")
        cams = np.array([s.camera or "" for s in data.samples])
        by_id: dict[int, list[int]] = {}
        for i, pid in enumerate(pids.tolist()):
            by_id.setdefault(pid, []).append(i)
        # only identities with >= 2 images can form positive pairs
        self.groups = {pid: (np.array(ix), cams[ix]) for pid, ix in by_id.items() if len(ix) >= 2}
        self.ids = np.array(sorted(self.groups), dtype=np.int64)
        if len(self.ids) < p:
            raise ValueError(f"a P x K batch needs {p} identities with two or more images; the set has {len(self.ids)}")

    @property
    def batch_size(self) -> int:
        return self.p * self.k + self.extra

    def _pick(self, pid: int, gen: torch.Generator) -> list[int]:
        ix, cams = self.groups[pid]
        order = torch.randperm(len(ix), generator=gen).numpy()
        ix, cams = ix[order], cams[order]
        # round-robin over cameras: the first image of each camera, then the second, ...
        rank = np.zeros(len(ix), dtype=np.int64)
        seen: dict[str, int] = {}
        for j, c in enumerate(cams.tolist()):
            rank[j] = seen.get(c, 0)
            seen[c] = rank[j] + 1
        ix = ix[np.argsort(rank, kind="stable")]
        reps = -(-self.k // len(ix))  # identities with fewer than k images repeat (augmentation differs)
        return np.tile(ix, reps)[: self.k].tolist()

    def batch(self, gen: torch.Generator) -> torch.Tensor:
        """``int64 (p * k + extra,)`` sample indices; the first ``p * k`` are grouped by identity."""
        chosen = self.ids[torch.randperm(len(self.ids), generator=gen)[: self.p].numpy()]
        idx = [i for pid in chosen.tolist() for i in self._pick(pid, gen)]
        if self.extra and self.extra_pool is not None:
            pick = torch.randint(0, len(self.extra_pool), (self.extra,), generator=gen).numpy()
            idx += self.extra_pool[pick].tolist()
        elif self.extra:
            idx += torch.randint(0, self.n, (self.extra,), generator=gen).tolist()
        return torch.tensor(idx, dtype=torch.int64)
