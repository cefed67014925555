"""Opening any gallery: a single one, or a sharded one (searched here or on a cluster)."""

from __future__ import annotations

import os

from ..common.errors import DeepSSHError
from .manifest import is_sharded


def open_engine(gallery: str | os.PathLike, model, cluster: str | None = None, scheduler: str | None = None,
                read_only: bool = False):
    """A :class:`..search.engine.SearchEngine`, or a :class:`.engine.ShardedEngine` for a sharded
    gallery (its shard tasks on ``cluster`` "local:N" or the ``scheduler`` at tcp://HOST:PORT when
    given, else in this process). Both answer ``search(SearchRequest)`` the same way."""
    if is_sharded(gallery):
        from .backend import connect
        from .engine import ShardedEngine

        backend = connect(cluster, scheduler)
        try:
            return ShardedEngine(gallery, model, backend, read_only=read_only)
        except BaseException:
            backend.close()
            raise
    if cluster or scheduler:
        raise DeepSSHError(f"{str(gallery)!r} is not a sharded gallery: split it first with "
                           f"`deepssh gallery shard {gallery} --shards N --out DIR`")
    from ..search.engine import SearchEngine

    return SearchEngine(gallery, model, read_only=read_only)
