"""Common containers for labelled person crops."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from ...common.errors import DatasetError
from ...common.imageio import is_image_path
from ...model.schema import AttributeSchema


@dataclass(frozen=True)
class Sample:
    """One crop. ``identity`` is unique across subsets (e.g. ``"PRID/0001"``)."""

    path: str
    identity: str
    subset: str
    camera: str | None = None


@dataclass
class SampleSet:
    """A list of samples with their attribute labels.

    ``labels`` is ``int8 (N, A)`` in schema order: 1 yes, 0 no, -1 unknown.
    """

    schema: AttributeSchema
    samples: list[Sample]
    labels: np.ndarray
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.labels.shape != (len(self.samples), len(self.schema)):
            raise ValueError(f"labels shape {self.labels.shape} does not match "
                             f"{len(self.samples)} samples x {len(self.schema)} attributes")

    def __len__(self) -> int:
        return len(self.samples)

    @property
    def paths(self) -> list[str]:
        return [s.path for s in self.samples]

    def identity_index(self) -> tuple[np.ndarray, list[str]]:
        """``(int64 (N,), names)``: dense identity ids in sorted-name order."""
        names = sorted({s.identity for s in self.samples})
        lut = {n: i for i, n in enumerate(names)}
        return np.array([lut[s.identity] for s in self.samples], dtype=np.int64), names

    def subset(self, mask: np.ndarray) -> "SampleSet":
        idx = np.flatnonzero(mask)
        return SampleSet(self.schema, [self.samples[i] for i in idx], self.labels[idx], list(self.notes))


def concat_sets(sets: list[SampleSet]) -> SampleSet:
    """One SampleSet from several with the same schema (e.g. PETA plus identity-only CUHK03)."""
    if not sets:
        raise ValueError("nothing to concatenate")
    schema = sets[0].schema
    for s in sets[1:]:
        if s.schema.names != schema.names:
            raise ValueError(f"cannot mix the {schema.name} and {s.schema.name} attribute schemas")
    return SampleSet(schema, [x for s in sets for x in s.samples], np.concatenate([s.labels for s in sets]),
                     [n for s in sets for n in s.notes])


def load_identity_folder(root: str | os.PathLike, parse: Callable[[str], tuple[str, str]], dataset: str,
                         pattern: str, schema: AttributeSchema, subset: str) -> SampleSet:
    """Crops directly under ``root`` of a re-id set with identity labels only (CUHK03, CUHK01).

    ``parse(filename) -> (pid, camera)`` raises ``ValueError`` for foreign names, which are
    skipped and counted in the notes. Identities are ``"<subset>/<pid>"``; every attribute
    label is -1 (unknown), which the attribute loss masks out.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{dataset} root {str(root)!r} is not a directory")
    samples: list[Sample] = []
    skipped = 0
    for name in sorted(os.listdir(root)):
        if not is_image_path(name):
            continue
        try:
            pid, cam = parse(name)
        except ValueError:
            skipped += 1
            continue
        samples.append(Sample(str(root / name), f"{subset}/{pid}", subset, cam))
    if not samples:
        raise DatasetError(f"no {dataset} crops ({pattern}) under {str(root)!r}")
    notes = [f"{subset}: skipped {skipped} files with unexpected names"] if skipped else []
    return SampleSet(schema, samples, np.full((len(samples), len(schema)), -1, dtype=np.int8), notes)
