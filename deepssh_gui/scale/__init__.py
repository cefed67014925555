"""Scale-out: galleries split into shards, searched and built on a Dask cluster (docs/scale.md).

``manifest`` describes a sharded gallery, ``backend`` runs per-shard tasks in this process or on
a Dask cluster, ``engine`` answers ``SearchRequest`` over the shards, ``split`` and ``ingest``
make shards. Only ``backend`` imports Dask, and only when a cluster is asked for.
"""
