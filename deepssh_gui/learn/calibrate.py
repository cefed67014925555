"""Fitting a model's attribute calibration on labelled crops it was not trained on."""

from __future__ import annotations

import numpy as np

from ..model.calibration import Calibration, expected_calibration_error, fit_platt, sigmoid
from .datasets.base import SampleSet
from .datasets.split import is_validation_identity
from .encode import attribute_logits
from .network import DeepSSHNet


def calibrate(net: DeepSSHNet, data: SampleSet, images: np.ndarray) -> tuple[Calibration, dict]:
    """Platt scaling per attribute on ``data`` (held-out identities), with an honest ECE.

    The identities are split in two halves by a hash: parameters fitted on one half are
    scored on the other (``ece_before`` / ``ece_after`` are measured there, never on the
    crops they were fitted on), then the returned calibration is refitted on all of ``data``.
    """
    raw = attribute_logits(net, images)
    half = np.array([is_validation_identity(s.identity, 0.5, salt="deepssh-calibration") for s in data.samples])
    fit_on, test_on = ~half, half
    probe = fit_platt(raw[fit_on], data.labels[fit_on])
    before = expected_calibration_error(sigmoid(raw[test_on]), data.labels[test_on])
    after = expected_calibration_error(probe.probabilities(raw[test_on]), data.labels[test_on])
    final = fit_platt(raw, data.labels)
    cal = Calibration(final.a, final.b, fitted_on=len(raw), ece_before=round(before, 4), ece_after=round(after, 4))
    return cal, {"fitted_on": int(len(raw)), "ece_held_out_before": before, "ece_held_out_after": after,
                 "held_out_crops": int(test_on.sum())}
