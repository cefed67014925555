"""The thread policy for a shared machine (docs/gallery.md, "Threads").

- A single query runs on one thread (``DEEPSSH_SEARCH_THREADS``, default 1): FAISS answers one
  probe no faster on two threads, but a second OpenMP thread waits for a core whenever another
  process holds one, which turns a millisecond query into a stall of a scheduler tick or more.
- Batch work (index builds, encoding) uses every core it is given.
- OpenMP threads sleep instead of spinning when idle (``OMP_WAIT_POLICY=PASSIVE``, set at
  package import unless the user set it), so an idle search pool never steals a core from
  ingest or from another process.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


def set_openmp_policy() -> None:
    """Ask OpenMP for passive waiting; effective only before the OpenMP runtime starts (FAISS import)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def search_threads() -> int:
    """Threads for one query (``DEEPSSH_SEARCH_THREADS``, default 1)."""
    try:
        return max(1, int(os.environ.get("DEEPSSH_SEARCH_THREADS", "1")))
    except ValueError:
        return 1


@contextmanager
def faiss_threads(n: int):
    """Run FAISS calls inside on ``n`` OpenMP threads (the setting is per calling thread)."""
    import faiss

    prev = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(prev)
