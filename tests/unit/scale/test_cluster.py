"""Sharded search and ingest on a real multi-process Dask LocalCluster (two worker processes)."""

import os
import signal
import threading
import time

import pytest

pytest.importorskip("distributed")

from deepssh_gui.scale.backend import DaskBackend, connect  # noqa: E402
from deepssh_gui.scale.engine import ShardedEngine  # noqa: E402
from deepssh_gui.scale.split import shard_gallery  # noqa: E402
from deepssh_gui.search.engine import SearchEngine  # noqa: E402
from tests.unit.scale.conftest import QUERIES, request, same_hits  # noqa: E402


@pytest.fixture(scope="module")
def backend():
    b = connect("local:2")
    assert isinstance(b, DaskBackend) and b.n_workers == 2
    yield b
    b.close()


class _Keep:
    """Lets the engine close without stopping the module's shared cluster."""

    def __init__(self, b):
        self.b = b

    def __getattr__(self, name):
        return getattr(self.b, name)

    def close(self):
        pass


@pytest.fixture()
def sharded(synthetic_gallery, tmp_path):
    model, gallery = synthetic_gallery
    shard_gallery(gallery, 4, tmp_path / "sharded", model)
    return model, gallery, tmp_path / "sharded"


def _worker_pids(backend) -> dict[str, int]:
    return backend.client.run(os.getpid)


def test_cluster_search_equals_the_single_gallery_for_every_query_kind(sharded, backend):
    model, gallery, out = sharded
    single = SearchEngine(gallery, model)
    codes = single.gallery.codes.copy()
    eng = ShardedEngine(out, model, _Keep(backend))
    try:
        for name, spec in sorted(QUERIES.items()):
            for top in (3, 25):
                a, b = single.search(request(codes, spec, top)), eng.search(request(codes, spec, top))
                assert a.hits and same_hits(a, b), (name, top)
        # the shards were opened in the worker processes and kept there (at most once per worker:
        # Dask may move a task to the other worker when it is idle, which then opens that shard too)
        loaded = backend.client.run(lambda: [k[0] for k in __import__(
            "deepssh_gui.scale.engine", fromlist=["_OPEN"])._OPEN if str(out) in k[0]])
        assert all(len(v) == len(set(v)) for v in loaded.values())
        assert set().union(*loaded.values()) == {str(out / f"shard-{i:04d}") for i in range(4)}
    finally:
        single.close()
        eng.close()


def test_a_worker_killed_during_a_search_loses_nothing(sharded, backend):
    model, gallery, out = sharded
    single = SearchEngine(gallery, model)
    codes = single.gallery.codes.copy()
    expected = {name: single.search(request(codes, spec)) for name, spec in QUERIES.items()}
    single.close()
    eng = ShardedEngine(out, model, _Keep(backend))
    victim_addr, victim = sorted(_worker_pids(backend).items())[0]
    results, errors = {}, []

    def run():
        try:
            for name, spec in sorted(QUERIES.items()):
                results[name] = eng.search(request(codes, spec))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    time.sleep(0.05)
    os.kill(victim, signal.SIGKILL)  # the nanny restarts it; its tasks run again elsewhere
    t.join(120)
    eng.close()
    # never a silently partial result: either every answer is whole and identical, or it failed loudly
    for name, res in results.items():
        assert same_hits(expected[name], res), name
    if errors:
        assert "shard" in str(errors[0])
    else:
        assert len(results) == len(QUERIES)
    backend.client.wait_for_workers(2, timeout=60)
