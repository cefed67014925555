import numpy as np
import torch

from deepssh_gui.learn.network import DeepSSHNet
from deepssh_gui.learn.thresholds import balanced_accuracy_thresholds, shift_attribute_bias
from deepssh_gui.model.config import ModelConfig


def test_threshold_recovers_a_shifted_decision_and_improves_balanced_accuracy():
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.1).astype(np.int8)  # a rare attribute
    z = np.where(y == 1, 0.0, -3.0) + rng.normal(0, 0.7, 2000)  # separable at about -1.5, not at 0
    labels = np.stack([y, np.full(2000, -1, np.int8)], axis=1)
    labels[:10, 1] = 1  # too few labels: the second attribute keeps 0
    t, before, after = balanced_accuracy_thresholds(np.stack([z, z], axis=1), labels)
    assert -2.2 < t[0] < -0.8
    assert after[0] > before[0] + 0.1
    assert t[1] == 0 and np.isnan(before[1])


def test_threshold_never_makes_balanced_accuracy_worse_and_is_clipped():
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.5).astype(np.int8)
    z = rng.normal(0, 1, 500) + 20 * (y == 1)  # the best cut (about 10) lies outside the clip
    t, before, after = balanced_accuracy_thresholds(z[:, None], y[:, None], limit=4.0)
    assert abs(t[0]) <= 4.0 and after[0] >= before[0]


def test_shift_moves_the_decision_bit():
    torch.manual_seed(0)
    net = DeepSSHNet(ModelConfig(nbits=128, n_attrs=57, bits_per_attr=1, input_hw=(64, 32))).eval()
    feat = torch.randn(4, 1280)
    _, before = net.heads(feat)
    t = np.linspace(-1, 1, 57).astype(np.float32)
    shift_attribute_bias(net, t)
    _, after = net.heads(feat)
    assert torch.allclose(after, before - torch.from_numpy(t), atol=1e-5)


def test_youden_cut_on_known_distance_distributions():
    from deepssh_gui.learn.match_threshold import youden_cut

    rng = np.random.default_rng(0)
    pos = rng.normal(60, 10, 2000).clip(0, 256).astype(int)
    neg = rng.normal(128, 10, 20000).clip(0, 256).astype(int)
    cut = youden_cut(pos, neg, 256)
    assert 85 <= cut["photo_max_distance"] <= 105  # between the two modes
    assert cut["tpr"] > 0.98 and cut["fpr"] < 0.02


def test_photo_cut_needs_pairs_of_one_identity(tiny_model):
    from deepssh_gui.learn.datasets.base import Sample, SampleSet
    from deepssh_gui.learn.match_threshold import fit_photo_threshold
    from deepssh_gui.model.schema import PETA

    images = np.random.default_rng(0).integers(0, 255, (12, 64, 32, 3), dtype=np.uint8)
    samples = [Sample(f"x{i}.png", f"T/{i % 6}", "T") for i in range(12)]
    data = SampleSet(PETA, samples, np.full((12, len(PETA)), -1, np.int8))
    cut = fit_photo_threshold(tiny_model.net, data, images)
    assert cut["positive_pairs"] == 6 and cut["negative_pairs"] == 60
    single = SampleSet(PETA, samples[:6], data.labels[:6])
    assert fit_photo_threshold(tiny_model.net, single, images[:6])["photo_max_distance"] is None
