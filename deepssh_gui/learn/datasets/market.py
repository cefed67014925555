"""Market-1501 and DukeMTMC-reID loaders with their identity-level attribute files.

Layout: ``<root>/{bounding_box_train, bounding_box_test, query}/*.jpg`` and the attribute
file (``market_attribute.mat`` / ``duke_attribute.mat``) in ``<root>`` or
``<root>/attribute``, or passed explicitly. Attributes are annotated per identity: every
image of an identity gets its identity's labels. Values in the .mat are 1 = no, 2 = yes
(Market's ``age`` is 1-4 and expands to four binary attributes).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ...common.errors import DatasetError
from ...model.schema import DUKEMTMC, MARKET1501, AttributeSchema
from ...ingest.names import parse_reid_name
from .base import Sample, SampleSet

FOLDERS = ("bounding_box_train", "bounding_box_test", "query")
# Market: 0002_c1s1_000451_03.jpg ; Duke: 0001_c2_f0046182.jpg. Identity -1 / 0000 = junk.
_AGE = {1: "age_young", 2: "age_teenager", 3: "age_adult", 4: "age_old"}


def read_attribute_mat(mat_path: str | os.PathLike, schema: AttributeSchema) -> dict[str, np.ndarray]:
    """Identity id string -> ``int8 (A,)`` labels (1 yes, 0 no, -1 unknown) from a .mat file."""
    from scipy.io import loadmat

    key = {"market1501": "market_attribute", "dukemtmc": "duke_attribute"}[schema.name]
    try:
        top = loadmat(str(mat_path))[key][0, 0]
    except (OSError, KeyError, ValueError, IndexError) as exc:
        raise DatasetError(f"cannot read attribute file {str(mat_path)!r}: {exc}") from None
    out: dict[str, np.ndarray] = {}
    for part in ("train", "test"):
        rec = top[part][0, 0]
        fields = rec.dtype.names  # field order differs between train and test: index by name
        ids = [str(np.asarray(x).ravel()[0]) for x in rec["image_index"].ravel()]
        n = len(ids)
        lab = np.full((n, len(schema)), -1, dtype=np.int8)
        for f in fields:
            if f == "image_index":
                continue
            vals = np.asarray(rec[f]).ravel().astype(int)
            if f == "age":
                for code, name in _AGE.items():
                    lab[:, schema.index(name)] = (vals == code).astype(np.int8)
                continue
            name = "female" if f == "gender" else f
            if name not in schema._index:
                continue
            col = np.where(vals == 2, 1, np.where(vals == 1, 0, -1))
            lab[:, schema.index(name)] = col
        for pid, row in zip(ids, lab):
            out[pid] = row
    return out


def _find_mat(root: Path, filename: str) -> Path:
    for cand in (root / filename, root / "attribute" / filename):
        if cand.is_file():
            return cand
    raise DatasetError(f"attribute file {filename} not found in {str(root)!r} or its 'attribute' folder")


def _load(root: str | os.PathLike, schema: AttributeSchema, mat_name: str, tag: str,
          attributes_file: str | os.PathLike | None) -> SampleSet:
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{tag} root {str(root)!r} is not a directory")
    present = [f for f in FOLDERS if (root / f).is_dir()]
    if not present:
        raise DatasetError(f"{str(root)!r} has none of the {tag} folders {', '.join(FOLDERS)}")
    attrs = read_attribute_mat(Path(attributes_file) if attributes_file else _find_mat(root, mat_name), schema)
    samples: list[Sample] = []
    rows: list[np.ndarray] = []
    skipped = 0
    for folder in present:
        for name in sorted(os.listdir(root / folder)):
            if not name.lower().endswith((".jpg", ".jpeg", ".png")):
                continue
            parsed = parse_reid_name(name)
            if parsed is None or parsed[0] in ("-1", "0000"):
                skipped += 1  # distractors and junk have no identity or attributes
                continue
            pid, cam = parsed
            row = attrs.get(pid)
            if row is None:
                skipped += 1
                continue
            samples.append(Sample(str(root / folder / name), f"{tag}/{pid}", folder, cam))
            rows.append(row)
    labels = np.stack(rows) if rows else np.zeros((0, len(schema)), dtype=np.int8)
    notes = [f"skipped {skipped} junk/distractor/unannotated images"] if skipped else []
    return SampleSet(schema, samples, labels, notes)


def load_market1501(root: str | os.PathLike, attributes_file: str | os.PathLike | None = None) -> SampleSet:
    return _load(root, MARKET1501, "market_attribute.mat", "market1501", attributes_file)


def load_dukemtmc(root: str | os.PathLike, attributes_file: str | os.PathLike | None = None) -> SampleSet:
    return _load(root, DUKEMTMC, "duke_attribute.mat", "dukemtmc", attributes_file)
