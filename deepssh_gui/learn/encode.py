"""Encoding with the torch network (training, evaluation and ``--engine torch``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from ..model.calibration import Calibration
from ..model.encoder import codes_and_probs
from .network import DeepSSHNet

if TYPE_CHECKING:  # checkpoint.py makes TorchEncoders: importing it here would close a cycle
    from .checkpoint import LoadedModel


@torch.inference_mode()
def encode_arrays(net: DeepSSHNet, images: np.ndarray, batch_size: int = 128, with_features: bool = False,
                  calibration: Calibration | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Encode ``uint8 (N, H, W, 3)`` RGB images already at the network input size.

    Returns ``(codes uint8 (N, nbits//8), attr_probs float32 (N, A), features float32 (N, C) | None)``;
    ``attr_probs`` are ``sigmoid`` of the attribute logits, calibrated by ``calibration`` if given.
    """
    was_training = net.training
    net.eval()
    dev = next(net.parameters()).device
    codes, scores, feats = [], [], []
    try:
        for s in range(0, len(images), batch_size):
            x = net.normalise(torch.from_numpy(np.ascontiguousarray(images[s:s + batch_size])).to(dev))
            f = net.embed(x)
            code, logits = net.heads(f)
            packed, sc = codes_and_probs(code.cpu().numpy(), logits.cpu().numpy(), calibration)
            codes.append(packed)
            scores.append(sc)
            if with_features:
                feats.append(f.cpu().numpy().astype(np.float32))
    finally:
        net.train(was_training)
    nbytes, a = net.cfg.nbits // 8, net.cfg.n_attrs
    return (np.concatenate(codes) if codes else np.zeros((0, nbytes), np.uint8),
            np.concatenate(scores) if scores else np.zeros((0, a), np.float32),
            (np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)) if with_features else None)


class TorchEncoder:
    """The :class:`~deepssh_gui.model.encoder.Encoder` interface over a torch network."""

    def __init__(self, model: LoadedModel, threads: int | None = None) -> None:
        self.net, self.config, self.calibration = model.net, model.config, model.calibration
        if threads:
            torch.set_num_threads(threads)

    def encode(self, images: np.ndarray, batch_size: int = 64, with_features: bool = False,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        return encode_arrays(self.net, images, batch_size=batch_size, with_features=with_features,
                             calibration=self.calibration)


@torch.inference_mode()
def attribute_logits(net: DeepSSHNet, images: np.ndarray, batch_size: int = 128) -> np.ndarray:
    """The attribute classifier's raw logits ``float32 (N, A)`` (what calibration is fitted on)."""
    was_training = net.training
    net.eval()
    dev = next(net.parameters()).device
    out = []
    try:
        for s in range(0, len(images), batch_size):
            x = net.normalise(torch.from_numpy(np.ascontiguousarray(images[s:s + batch_size])).to(dev))
            out.append(net.heads(net.embed(x))[1].cpu().numpy().astype(np.float32))
    finally:
        net.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, net.cfg.n_attrs), np.float32)
