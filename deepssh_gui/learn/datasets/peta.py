"""PETA loader (Deng et al., ACM MM 2014): ``<root>/<Subset>/archive/{images, Label.txt}``.

Identities are only unique inside one subset, so an identity is ``"<Subset>/<id>"``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from ...common.errors import DatasetError
from ...common.imageio import is_image_path
from ...model.schema import PETA
from .base import Sample, SampleSet

PETA_SUBSETS = ("3DPeS", "CAVIAR4REID", "CUHK", "GRID", "i-LID", "MIT", "PRID", "SARC3D", "TownCentre", "VIPeR")

# subset -> regex on the file stem with groups ``id`` and optional ``cam``.
_PATTERNS: dict[str, re.Pattern] = {
    "PRID": re.compile(r"^(?P<id>\d+)_(?P<cam>[ab])$"),
    "GRID": re.compile(r"^(?P<id>\d+)_(?P<cam>\d+)_\d+(?:_\d+)*$"),
    "CAVIAR4REID": re.compile(r"^(?P<id>\d+)_\d+$"),
    "i-LID": re.compile(r"^(?P<id>\d+)_\d+$"),
    "SARC3D": re.compile(r"^(?P<id>\d+)_[A-Za-z]+$"),
    "TownCentre": re.compile(r"^(?P<id>\d+)_\d+$"),
    "CUHK": re.compile(r"^(?P<id>\d+)$"),
    "MIT": re.compile(r"^(?P<id>\d+)_[A-Za-z]+_[A-Za-z]+$"),
    "VIPeR": re.compile(r"^(?P<id>\d+)_\d+_(?P<cam>[12])$"),
    "3DPeS": re.compile(r"^(?P<id>\d+)_(?P<cam>\d+)_FRAME_\d+_RGB$"),
}
# TownCentre is one fixed camera; naming it lets gallery metadata show it. Evaluation only
# applies the same-camera junk rule where a subset has two or more cameras.
_SINGLE_CAMERA = {"TownCentre": "towncentre"}


def parse_peta_name(subset: str, filename: str) -> tuple[str, str | None]:
    """``(id, camera)`` from a PETA file name; raises ``ValueError`` if it does not match."""
    try:
        pat = _PATTERNS[subset]
    except KeyError:
        raise ValueError(f"unknown PETA subset {subset!r}; known: {', '.join(PETA_SUBSETS)}") from None
    stem = Path(filename).stem
    m = pat.match(stem)
    if not m:
        raise ValueError(f"{filename!r} does not follow the {subset} naming pattern")
    cam = m.groupdict().get("cam") or _SINGLE_CAMERA.get(subset)
    return m.group("id"), cam


def _read_labels(label_file: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line_no, line in enumerate(label_file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        # CUHK writes the whole file name as its ID ("0606.png").
        key = Path(parts[0]).stem if "." in parts[0] else parts[0]
        out.setdefault(key, set()).update(parts[1:])
    return out


def load_peta(root: str | os.PathLike, subsets: list[str] | None = None) -> SampleSet:
    """Load PETA subsets present under ``root`` (all known ones when ``subsets`` is None).

    Images with no label line are skipped and counted in ``notes``.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"PETA root {str(root)!r} is not a directory")
    wanted = list(subsets) if subsets else [s for s in PETA_SUBSETS if (root / s / "archive").is_dir()]
    if not wanted:
        raise DatasetError(f"no PETA subsets found under {str(root)!r} (expected <Subset>/archive/Label.txt)")
    schema = PETA
    samples: list[Sample] = []
    rows: list[np.ndarray] = []
    notes: list[str] = []
    for subset in wanted:
        if subset not in _PATTERNS:
            raise DatasetError(f"unknown PETA subset {subset!r}; known: {', '.join(PETA_SUBSETS)}")
        arch = root / subset / "archive"
        label_file = arch / "Label.txt"
        if not label_file.is_file():
            raise DatasetError(f"{str(label_file)!r} is missing")
        labels = _read_labels(label_file)
        unlabelled = bad_name = 0
        for name in sorted(os.listdir(arch)):
            if not is_image_path(name):
                continue
            try:
                pid, cam = parse_peta_name(subset, name)
            except ValueError:
                bad_name += 1
                continue
            attrs = labels.get(pid)
            if attrs is None:
                unlabelled += 1
                continue
            row = np.zeros(len(schema), dtype=np.int8)
            for a in attrs:
                if a in schema._index:
                    row[schema._index[a]] = 1
            samples.append(Sample(str(arch / name), f"{subset}/{pid}", subset, cam))
            rows.append(row)
        if unlabelled or bad_name:
            notes.append(f"{subset}: skipped {unlabelled} images without labels, {bad_name} with unexpected names")
    labels_arr = np.stack(rows) if rows else np.zeros((0, len(schema)), dtype=np.int8)
    return SampleSet(schema, samples, labels_arr, notes)
