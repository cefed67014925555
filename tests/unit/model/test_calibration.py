import numpy as np
import pytest

from deepssh_gui.model.calibration import (LOG_NOT_P, LOG_P, Calibration, byte_probabilities, expected_calibration_error,
                                           fit_platt, quantise_logits, sigmoid)


def _synthetic(n=4000, a=0.5, b=-1.0, seed=0):
    """Over-confident raw logits: the true probability is sigmoid(a * z + b)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 4, (n, 3)).astype(np.float32)
    y = (rng.random((n, 3)) < sigmoid(a * z + b)).astype(np.int8)
    return z, y


def test_platt_recovers_the_true_mapping_and_lowers_ece():
    z, y = _synthetic()
    cal = fit_platt(z[:3000], y[:3000])
    assert np.allclose(cal.a, 0.5, atol=0.08) and np.allclose(cal.b, -1.0, atol=0.15)
    before = expected_calibration_error(sigmoid(z[3000:]), y[3000:])
    after = expected_calibration_error(cal.probabilities(z[3000:]), y[3000:])
    assert before > 0.1 and after < 0.04


def test_unknown_labels_are_ignored_and_thin_attributes_keep_identity():
    z, y = _synthetic()
    y[:, 1] = -1  # nothing known
    y[:, 2] = 0
    y[:3, 2] = 1  # 3 positives: too few to move it
    cal = fit_platt(z, y)
    assert cal.a[1] == 1 and cal.b[1] == 0 and cal.a[2] == 1 and cal.b[2] == 0
    assert np.isnan(expected_calibration_error(sigmoid(z), np.full_like(y, -1)))


def test_separable_attribute_stays_finite():
    z = np.linspace(-5, 5, 200, dtype=np.float32)[:, None]
    y = (z > 0).astype(np.int8)
    cal = fit_platt(z, y)
    assert np.isfinite(cal.a).all() and abs(cal.a[0]) < 50


def test_round_trip_through_the_model_file_dict():
    cal = Calibration(np.array([0.5, 1.5], np.float32), np.array([-1.0, 0.2], np.float32), 10, 0.1, 0.02)
    back = Calibration.from_dict(cal.to_dict())
    assert np.array_equal(back.a, cal.a) and back.ece_after == 0.02
    with pytest.raises(ValueError):
        Calibration.from_dict({"a": [1.0, float("nan")], "b": [0.0, 0.0]})


def test_one_byte_logits_keep_probabilities_and_logs_consistent():
    p = np.array([1e-6, 0.01, 0.2, 0.5, 0.8, 0.99, 1 - 1e-6])
    q = quantise_logits(np.log(p) - np.log1p(-p))
    back = byte_probabilities(q)
    assert np.all(np.abs(back - np.clip(p, 3.4e-4, 1 - 3.4e-4)) < 0.02)
    assert np.allclose(np.exp(LOG_P) + np.exp(LOG_NOT_P), 1.0, atol=1e-6)
    assert q[3] in (127, 128) and np.all(np.diff(q.astype(int)) >= 0)
