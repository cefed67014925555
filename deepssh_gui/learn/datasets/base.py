"""Common containers for labelled person crops."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
