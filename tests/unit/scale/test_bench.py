"""The cluster benchmark's own check: merged shard answers equal the single-process engine's."""

from deepssh_gui.scale.backend import InlineBackend
from deepssh_gui.scale.bench import run_cluster_bench, shard_codes


def test_shard_codes_are_the_contiguous_pieces_of_one_set():
    pieces = [shard_codes(1000, 256, 0, i, 3) for i in range(3)]
    assert [len(p) for p in pieces] == [333, 334, 333]
    assert shard_codes(1000, 256, 0, 1, 3).tobytes() == pieces[1].tobytes()  # seeded: a worker remakes it


def test_cluster_bench_reports_identical_results_and_its_ratios():
    res = run_cluster_bench(InlineBackend(), n=6000, nbits=256, queries=4, n_shards=3)
    assert res["results_identical"] and res["mismatched_queries"] == 0
    assert res["shards"] == 3 and res["latency"]["cluster_photo"]["p50_ms"] > 0
    assert res["cluster_photo_p50_over_single_flat_p50"] > 0
