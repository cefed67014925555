"""Opening any gallery: a single one, or a sharded one (searched here or on a cluster)."""

from __future__ import annotations

import os

from ..common.errors import DeepSSHError
from ..model.modelfile import opens_galleries_of
from .manifest import is_sharded


def open_engine(gallery: str | os.PathLike, model, cluster: str | None = None, scheduler: str | None = None,
                read_only: bool = False):
    """A :class:`..search.engine.SearchEngine`, or a :class:`.engine.ShardedEngine` for a sharded
    gallery (its shard tasks on ``cluster`` "local:N" or the ``scheduler`` at tcp://HOST:PORT when
    given, else in this process). Both answer ``search(SearchRequest)`` the same way."""
    model = model_for_gallery(gallery, model)
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


def gallery_model_hash(gallery: str | os.PathLike) -> str | None:
    """The hash of the model a gallery (single or sharded) was built with, read without opening it."""
    import sqlite3
    from pathlib import Path

    if is_sharded(gallery):
        from .manifest import read_manifest

        return read_manifest(gallery).model_hash
    db = Path(gallery) / "gallery.sqlite"
    if not db.is_file():
        return None
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM info WHERE key = 'model_hash'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # opening it will say what is wrong
    return row[0] if row else None


def model_for_gallery(gallery: str | os.PathLike, model):
    """``model``, or the bundled model file the gallery names when ``model`` is another one.

    Galleries name the model that built them; after a new model is shipped, galleries of the
    earlier one keep working with its file, which stays in ``models/``. A model that is neither
    (the gallery's model is not bundled) is returned as it is, and opening the gallery explains.
    """
    from ..model.modelfile import ModelFile, load_model_file

    wanted = gallery_model_hash(gallery)
    if isinstance(model, (str, os.PathLike)):
        model = load_model_file(model)  # the engines accept a path too
    if wanted is None or opens_galleries_of(model, wanted):
        return model
    from ..common.paths import bundled_model_files

    if not isinstance(model, ModelFile):  # --engine torch: the user chose that network; no swap
        return model
    for path in bundled_model_files():
        try:
            other = load_model_file(path)
        except Exception:  # noqa: BLE001 - a damaged extra file must not stop the search
            continue
        if opens_galleries_of(other, wanted):
            return other
    return model
