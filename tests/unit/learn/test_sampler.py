import numpy as np
import pytest
import torch

from deepssh_gui.learn.datasets.base import Sample, SampleSet
from deepssh_gui.learn.sampler import PKSampler
from deepssh_gui.model.schema import PETA
from deepssh_gui.learn.train import attribute_loss, augment, batch_hard_triplet


def _set(counts: dict[str, int]) -> SampleSet:
    samples = [Sample(f"{pid}_{j}.png", pid, "S", "a" if j % 2 == 0 else "b")
               for pid, n in counts.items() for j in range(n)]
    return SampleSet(PETA, samples, np.zeros((len(samples), len(PETA)), np.int8))


def test_pk_batches_group_identities_and_cross_cameras():
    data = _set({"x": 6, "y": 3, "z": 2, "single": 1})
    s = PKSampler(data, p=2, k=4, extra=3)
    pids, names = data.identity_index()
    for seed in range(20):
        idx = s.batch(torch.Generator().manual_seed(seed)).numpy()
        assert idx.shape == (s.batch_size,) == (11,)
        groups = pids[idx[:8]].reshape(2, 4)
        assert (groups == groups[:, :1]).all()  # K images of one identity each
        assert len(set(groups[:, 0].tolist())) == 2  # P different identities
        assert names.index("single") not in groups  # singletons never anchor a triplet
        cams = np.array([data.samples[i].camera for i in idx[:8]]).reshape(2, 4)
        assert all(set(c[:2]) == {"a", "b"} for c in cams)  # first two images cross cameras


def test_pk_is_deterministic_per_generator():
    s = PKSampler(_set({"x": 5, "y": 5, "z": 5}), p=2, k=2)
    a = s.batch(torch.Generator().manual_seed(1))
    b = s.batch(torch.Generator().manual_seed(1))
    assert torch.equal(a, b)


def test_pk_needs_enough_identities():
    with pytest.raises(ValueError, match="needs 3 identities"):
        PKSampler(_set({"x": 4, "y": 4, "z": 1}), p=3, k=2)


def test_triplet_zero_when_separated_positive_when_confused():
    t = torch.tensor([0, 0, 1, 1])
    good = torch.tensor([[1.0, 0], [0.99, 0.1], [0, 1.0], [0.1, 0.99]])
    bad = torch.tensor([[1.0, 0], [0, 1.0], [1.0, 0.05], [0.05, 1.0]])
    assert batch_hard_triplet(good, t, 0.3).item() == 0.0
    assert batch_hard_triplet(bad, t, 0.3).item() > 1.0
    # no positive pair anywhere: no loss rather than NaN
    assert batch_hard_triplet(good, torch.tensor([0, 1, 2, 3]), 0.3).item() == 0.0


def test_attribute_loss_ignores_unknown_labels():
    logits = torch.tensor([[5.0, -5.0], [9.0, 9.0]])
    prior = torch.tensor([0.5, 0.5])
    known = torch.tensor([[1, 0], [-1, -1]], dtype=torch.int8)
    wrong = torch.tensor([[1, 0], [0, 0]], dtype=torch.int8)
    # the second row is unknown: its very confident logits add nothing
    assert attribute_loss(logits, known, prior) < 0.02
    assert attribute_loss(logits, wrong, prior) > 1.0
    assert attribute_loss(logits, torch.full((2, 2), -1, dtype=torch.int8), prior).item() == 0.0


def test_colour_jitter_keeps_hue_order_and_range():
    img = torch.zeros((4, 16, 8, 3), dtype=torch.uint8)
    img[..., 0] = 200  # red shirt
    img[..., 1] = 40
    out = augment(img, torch.Generator().manual_seed(0), pad=0, color_jitter=0.4)
    assert out.min() >= 0 and out.max() <= 255
    centre = out[:, 4:12, 2:6]
    assert (centre[..., 0] > centre[..., 1]).all()  # still red, never hue-shifted
