"""Dataset loaders. Each returns a :class:`~deepssh_gui.learn.datasets.base.SampleSet`."""

from .base import Sample, SampleSet, concat_sets
from .cuhk01 import load_cuhk01
from .cuhk03 import load_cuhk03
from ...ingest.folder import load_folder
from .market import load_dukemtmc, load_market1501
from .peta import PETA_SUBSETS, load_peta


def load_dataset(name: str, root: str, subsets: list[str] | None = None) -> SampleSet:
    """Load a dataset by name: ``peta``, ``market1501``, ``dukemtmc``, ``cuhk03`` or ``cuhk01`` (identities only)."""
    if name == "peta":
        return load_peta(root, subsets)
    if name == "cuhk03":
        return load_cuhk03(root)
    if name == "cuhk01":
        return load_cuhk01(root)
    if name in ("market1501", "market"):
        return load_market1501(root)
    if name in ("dukemtmc", "duke"):
        return load_dukemtmc(root)
    raise ValueError(f"unknown dataset {name!r}; choose peta, market1501, dukemtmc, cuhk03 or cuhk01")


__all__ = ["PETA_SUBSETS", "Sample", "SampleSet", "concat_sets", "load_cuhk01", "load_cuhk03", "load_dataset", "load_dukemtmc", "load_folder",
           "load_market1501", "load_peta"]
