"""The commands: gallery shard, search and audit on a sharded gallery, and clear refusals."""

import json
import subprocess
import sys

from tests.conftest import ROOT


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "deepssh_gui.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_shard_search_and_verify_from_the_command_line(small_gallery, tmp_path):
    model, gallery = small_gallery
    out = tmp_path / "s"
    r = _cli("gallery", "shard", gallery, "--shards", 2, "--out", out, "--model", model)
    assert r.returncode == 0, r.stderr
    assert "8 items in 2 shards (shard-0000 4, shard-0001 4)" in r.stdout
    one = _cli("search", "--gallery", gallery, "--model", model, "--attributes", "personalMale", "--top", 8, "--json")
    two = _cli("search", "--gallery", out, "--model", model, "--attributes", "personalMale", "--top", 8, "--json")
    assert one.returncode == 0 and two.returncode == 0, two.stderr
    ids = [[h["id"] for h in json.loads(r.stdout)["hits"]] for r in (one, two)]
    assert ids[0] == ids[1] and len(ids[0]) == 8
    r = _cli("audit", "--gallery", out, "--verify")
    assert r.returncode == 0 and "1 entries" in r.stdout and "chain intact" in r.stdout


def test_a_cluster_needs_a_sharded_gallery_and_a_valid_spec(small_gallery, tmp_path):
    model, gallery = small_gallery
    r = _cli("search", "--gallery", gallery, "--model", model, "--attributes", "personalMale", "--cluster", "local:2")
    assert r.returncode == 2 and "is not a sharded gallery" in r.stderr and "deepssh gallery shard" in r.stderr
    _cli("gallery", "shard", gallery, "--shards", 2, "--out", tmp_path / "s", "--model", model)
    r = _cli("search", "--gallery", tmp_path / "s", "--model", model, "--attributes", "personalMale",
             "--cluster", "remote:9")
    assert r.returncode == 2 and "expected local:N" in r.stderr


def test_cluster_addresses_are_read_one_way_everywhere():
    import pytest

    from deepssh_gui.common.errors import DeepSSHError
    from deepssh_gui.scale.backend import parse_cluster

    assert parse_cluster("") == (None, None)
    assert parse_cluster(" local:3 ") == ("local:3", None)
    assert parse_cluster("tcp://10.0.0.5:8786") == (None, "tcp://10.0.0.5:8786")
    for bad in ("local:0", "local:x", "remote:2", "10.0.0.5:8786"):
        with pytest.raises(DeepSSHError, match="expected local:N"):
            parse_cluster(bad)
