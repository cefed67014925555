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
