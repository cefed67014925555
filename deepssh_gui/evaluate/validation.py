"""Validation during training: binary and float re-id figures and attribute mA on a held-out split."""

from __future__ import annotations

import numpy as np

from ..learn.datasets.base import SampleSet
from ..learn.encode import encode_arrays
from ..learn.network import DeepSSHNet
from ..model.layout import hamming, unpack_bits
from .metrics import cosine_distance, mean_accuracy
from .protocol import evaluate_subsets


def validate(net: DeepSSHNet, data: SampleSet, images: np.ndarray) -> dict:
    """Binary-code and float-feature mAP/rank-1 under the subset protocol, and attribute mA."""
    codes, scores, feats = encode_arrays(net, images, with_features=True)
    _, bin_sum = evaluate_subsets(data.samples, lambda q, g: hamming(codes[q], codes[g]).astype(np.float32))
    _, flt_sum = evaluate_subsets(data.samples, lambda q, g: cosine_distance(feats[q], feats[g]))
    mA, _ = mean_accuracy(scores >= 0.5, data.labels)
    bits = unpack_bits(codes).astype(np.float32)
    return {
        "binary_mAP": bin_sum["mAP"], "binary_rank1": bin_sum["cmc"][0] if bin_sum["cmc"] else float("nan"),
        "float_mAP": flt_sum["mAP"], "float_rank1": flt_sum["cmc"][0] if flt_sum["cmc"] else float("nan"),
        "attr_mA": mA, "n_queries": bin_sum["n_queries"],
        "bit_mean_identity": float(bits[:, net.cfg.n_attrs * net.cfg.bits_per_attr:].mean()),
    }
