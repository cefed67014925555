"""The photo-distance cut between likely and weak matches, fitted on validation identities.

Codes of the validation crops are compared pairwise: pairs of one identity (different crops)
against pairs of different identities. The cut is the Hamming distance that maximises
Youden's J = TPR - FPR (true-match pairs within the cut minus different-identity pairs within
it), a cut with no tuning knob; its TPR and FPR are stored beside it so the GUI and the
reports can say what "likely" means. Stored in the model file's ``meta["match_threshold"]``,
which is not part of the model hash.
"""

from __future__ import annotations

import numpy as np

from ..model.layout import hamming
from .datasets.base import SampleSet
from .encode import encode_arrays
from .network import DeepSSHNet


def fit_photo_threshold(net: DeepSSHNet, data: SampleSet, images: np.ndarray, max_negatives: int = 200_000,
                        seed: int = 0) -> dict:
    """``{"photo_max_distance", "tpr", "fpr", "positive_pairs", "negative_pairs"}`` on ``data``."""
    codes, _, _ = encode_arrays(net, images)
    pids, _ = data.identity_index()
    d = hamming(codes, codes)
    same = pids[:, None] == pids[None, :]
    iu = np.triu_indices(len(pids), k=1)
    pos = d[iu][same[iu]]
    neg = d[iu][~same[iu]]
    if not len(pos) or not len(neg):
        return {"photo_max_distance": None, "note": "no identity with two crops, or a single identity"}
    rng = np.random.default_rng(seed)
    if len(neg) > max_negatives:
        neg = rng.choice(neg, max_negatives, replace=False)
    return youden_cut(pos, neg, net.cfg.nbits)


def youden_cut(pos: np.ndarray, neg: np.ndarray, nbits: int) -> dict:
    """The distance cut maximising TPR - FPR from ``int`` distances of true-match ``pos`` and
    different-identity ``neg`` pairs (a pair within the cut counts as a predicted match)."""
    tpr = np.cumsum(np.bincount(pos, minlength=nbits + 1)) / len(pos)
    fpr = np.cumsum(np.bincount(neg, minlength=nbits + 1)) / len(neg)
    cut = int(np.argmax(tpr - fpr))
    return {"photo_max_distance": cut, "tpr": round(float(tpr[cut]), 4), "fpr": round(float(fpr[cut]), 4),
            "positive_pairs": int(len(pos)), "negative_pairs": int(len(neg)), "rule": "max TPR - FPR (Youden)"}
