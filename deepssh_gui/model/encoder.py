"""The runtime encoder: a model file's ONNX graph on onnxruntime's CPU provider.

``OnnxEncoder.encode`` maps ``uint8 (N, H, W, 3)`` RGB crops at the model's input size to
``(codes uint8 (N, nbits // 8), attr_probs float32 (N, A), features float32 (N, C) | None)``,
where ``attr_probs`` are the attribute classifier's probabilities, calibrated when the model
file carries a calibration (:mod:`.calibration`),
exactly like the torch path (``deepssh_gui.learn.encode.TorchEncoder``); the parity is
tested and measured (docs/distribution.md).

Threads: onnxruntime's intra-op pool is sized by ``threads`` (``DEEPSSH_ORT_THREADS``, else
the number of cores, at most 4). Spinning is switched off so an idle pool does not hold
cores that the GUI or another process needs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ..common.errors import CheckpointError
from .calibration import Calibration
from .config import ModelConfig
from .decoder import attribute_segments
from .layout import attribute_scores, pack_bits

if TYPE_CHECKING:  # modelfile.py makes OnnxEncoders: importing it here would close a cycle
    from .modelfile import ModelFile


class Encoder(Protocol):
    config: ModelConfig

    def encode(self, images: np.ndarray, batch_size: int = 64, with_features: bool = False,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]: ...


def codes_and_probs(relaxed: np.ndarray, raw_logits: np.ndarray, calibration: Calibration | None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Packed codes ``uint8 (N, nbits // 8)`` and attribute probabilities ``float32 (N, A)``."""
    cal = calibration or Calibration.identity(raw_logits.shape[1])
    return pack_bits(relaxed > 0), cal.probabilities(raw_logits)


def bit_scores(codes: np.ndarray, cfg: ModelConfig) -> np.ndarray:
    """``float32 (N, A)``: attribute scores read back from the code's attribute bits alone
    (the DeepSSH explanation; three values for 2 bits per attribute)."""
    return attribute_scores(attribute_segments(codes, cfg.layout), cfg.bits_per_attr, cfg.attr_step)


def default_threads() -> int:
    env = os.environ.get("DEEPSSH_ORT_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(4, os.cpu_count() or 1))


class OnnxEncoder:
    def __init__(self, model: ModelFile, threads: int | None = None) -> None:
        if model.onnx is None:
            raise CheckpointError(f"{model.path!r} has no ONNX graph (written before DeepSSH stored one); "
                                  f"upgrade it once with: deepssh export-onnx --model {model.path}")
        import onnxruntime as ort

        self.config = model.config
        self.calibration = model.calibration
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or default_threads()
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(model.onnx, opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for bad graphs
            raise CheckpointError(f"{model.path!r}: its ONNX graph cannot be loaded: {exc}") from None
        self.threads = opts.intra_op_num_threads

    def encode(self, images: np.ndarray, batch_size: int = 64, with_features: bool = False,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        cfg = self.config
        h, w = cfg.input_hw
        if images.ndim != 4 or images.shape[1:] != (h, w, 3) or images.dtype != np.uint8:
            raise ValueError(f"expected uint8 (N, {h}, {w}, 3) images, got {images.dtype} {images.shape}")
        codes, scores, feats = [], [], []
        wanted = ["code", "attr_logits", "features"] if with_features else ["code", "attr_logits"]
        for s in range(0, len(images), batch_size):
            out = self.session.run(wanted, {"images": np.ascontiguousarray(images[s:s + batch_size])})
            c, sc = codes_and_probs(out[0], out[1], self.calibration)
            codes.append(c)
            scores.append(sc)
            if with_features:
                feats.append(out[2].astype(np.float32))
        nbytes, a = cfg.nbits // 8, cfg.n_attrs
        return (np.concatenate(codes) if codes else np.zeros((0, nbytes), np.uint8),
                np.concatenate(scores) if scores else np.zeros((0, a), np.float32),
                (np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)) if with_features else None)
