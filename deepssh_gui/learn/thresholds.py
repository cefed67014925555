"""Per-attribute decision thresholds for the attribute bits, fitted on held-out identities.

An attribute's decision bit is ``logit > 0``. Rare attributes (hat, plaid, logo) are often
under-called at 0 even with DeepMAR's weights, and common ones over-called on new cameras.
Here each attribute gets the threshold ``t_i`` that maximises its balanced accuracy
((TPR + TNR) / 2, the per-attribute term of mA) on validation identities, and the network's
attribute bias is shifted by ``-t_i``: the thermometer bits, the decoder and the calibration
all follow, and the model is a new one (new weights, new hash).
"""

from __future__ import annotations

import numpy as np
import torch

from .network import DeepSSHNet


def balanced_accuracy_thresholds(logits: np.ndarray, labels: np.ndarray, limit: float = 4.0,
                                 min_each: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds ``float32 (A,)`` maximising (TPR + TNR) / 2 per attribute.

    ``logits float (N, A)``; ``labels int8 (N, A)`` with -1 unknown. Candidates are the
    midpoints between sorted logits, clipped to ``[-limit, limit]`` so that a few odd crops
    cannot move a threshold far. Attributes with fewer than ``min_each`` positives or negatives
    keep 0. Returns ``(thresholds, balanced accuracy at 0, balanced accuracy at the threshold)``
    (the last two ``float64 (A,)``, NaN where an attribute kept 0 for lack of labels).
    """
    n_attr = logits.shape[1]
    out = np.zeros(n_attr, np.float32)
    before = np.full(n_attr, np.nan)
    after = np.full(n_attr, np.nan)
    for a in range(n_attr):
        known = labels[:, a] >= 0
        z, y = logits[known, a].astype(np.float64), labels[known, a] == 1
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        if n_pos < min_each or n_neg < min_each:
            continue
        order = np.argsort(z, kind="stable")
        z, y = z[order], y[order]
        # predicting "yes" above a cut after position j: TPR = positives above / n_pos
        pos_above = n_pos - np.concatenate([[0], np.cumsum(y)])
        neg_below = np.concatenate([[0], np.cumsum(~y)])
        ba = 0.5 * (pos_above / n_pos + neg_below / n_neg)
        cuts = np.concatenate([[z[0] - 1.0], (z[:-1] + z[1:]) / 2, [z[-1] + 1.0]])
        ok = np.abs(cuts) <= limit
        best = np.flatnonzero(ok)[np.argmax(ba[ok])] if ok.any() else None
        at0 = 0.5 * (((z > 0) & y).sum() / n_pos + ((z <= 0) & ~y).sum() / n_neg)
        before[a] = at0
        if best is None or ba[best] <= at0:
            after[a] = at0
            continue
        out[a], after[a] = cuts[best], ba[best]
    return out, before, after


@torch.no_grad()
def shift_attribute_bias(net: DeepSSHNet, thresholds: np.ndarray) -> None:
    """Make ``logit_i - t_i`` the network's attribute logit, in place (bits then decide at ``t_i``)."""
    net.attr_head.bias -= torch.as_tensor(thresholds, dtype=net.attr_head.bias.dtype,
                                          device=net.attr_head.bias.device)
