"""Writing model files, and loading them as torch networks for training and evaluation.

The format is described in :mod:`deepssh_gui.model.modelfile`, which reads it without
torch. Here files are read with ``torch.load(weights_only=True)`` only, and every saved
model carries its ONNX graph (:func:`export_onnx`), covered by the model hash.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..common.atomic import atomic_write_with
from ..common.errors import CheckpointError
from ..model.calibration import Calibration
from ..model.decoder import Decoder
from ..model.modelfile import (FORMAT_VERSION, MODEL_FORMAT, ModelFile, check_model_dict,
                               model_hash, model_hashes)
from ..model.schema import AttributeSchema
from .network import DeepSSHNet, ModelConfig
from .onnx_export import export_onnx


@dataclass
class LoadedModel:
    """A torch network ready for inference, with everything its checkpoint says about itself."""

    net: DeepSSHNet
    config: ModelConfig
    schema: AttributeSchema
    hash: str
    path: str
    meta: dict = field(default_factory=dict)
    decoder: "Decoder | None" = None
    onnx: bytes | None = None
    calibration: Calibration | None = None
    weights_hash: str | None = None  # the hash without the ONNX graph (model/modelfile.model_hashes)

    @property
    def name(self) -> str:
        return Path(self.path).stem

    def encoder(self):
        """The torch encoder over this network (``--engine torch``)."""
        from .encode import TorchEncoder

        return TorchEncoder(self)

    def model_file(self) -> ModelFile:
        return ModelFile(self.config, self.schema, self.hash, self.path, self.meta, self.decoder, self.onnx,
                         self.calibration, weights_hash=self.weights_hash)


def safe_load(path: str | os.PathLike) -> dict:
    """``torch.load`` with ``weights_only=True``; every failure becomes a CheckpointError."""
    p = str(path)
    if not os.path.isfile(p):
        raise CheckpointError(f"model file {p!r} does not exist")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"{p!r} was refused: it is not a plain-data checkpoint and loading it would "
                              f"run code it contains ({str(exc).splitlines()[0]})") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many types for damaged files
        raise CheckpointError(f"{p!r} is not a readable model file (corrupt or truncated): "
                              f"{type(exc).__name__}: {exc}") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{p!r} is not a DeepSSH checkpoint (holds {type(obj).__name__})")
    return obj


def save_model(path: str | os.PathLike, net: DeepSSHNet, schema: AttributeSchema, meta: dict,
               decoder: "Decoder | None" = None, onnx: bytes | None = None,
               calibration: Calibration | None = None) -> str:
    """Write an inference checkpoint with its ONNX graph atomically; return its model hash.

    ``onnx`` may pass a graph already exported from these weights (the decoder refit reuses
    the stored one, so the hash stays the same); otherwise the network is exported now.
    The decoder and the calibration are stored beside the weights but are not part of the
    model hash: refitting them does not invalidate galleries.
    """
    # contiguous copies: a network trained channels-last stores its tensors in the plain layout
    state = {k: v.detach().cpu().clone(memory_format=torch.contiguous_format) for k, v in net.state_dict().items()}
    cfg = net.cfg.to_dict()
    sch = schema.to_dict()
    graph = onnx if onnx is not None else export_onnx(net)
    obj = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "config": cfg,
        "schema": sch,
        "state_dict": state,
        "meta": meta,
        "decoder": decoder.to_dict() if decoder is not None else None,
        # a uint8 tensor, not bytes: torch.save's pickle protocol 2 would write bytes as a latin-1 string
        "onnx": torch.frombuffer(bytearray(graph), dtype=torch.uint8),
        "calibration": calibration.to_dict() if calibration is not None else None,
    }
    atomic_write_with(path, lambda f: torch.save(obj, f))
    return model_hash(cfg, sch, state, graph)


def load_model(path: str | os.PathLike) -> LoadedModel:
    """Load a torch network in eval mode. Raises CheckpointError with a specific reason."""
    obj = safe_load(path)
    cfg, schema, decoder, calibration = check_model_dict(obj, str(path), onnx_type=torch.Tensor)
    try:
        net = DeepSSHNet(cfg, pretrained=False)
        net.load_state_dict(obj["state_dict"])
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{str(path)!r} is damaged or inconsistent: {exc}") from None
    net.eval()
    onnx = obj["onnx"].numpy().tobytes() if isinstance(obj.get("onnx"), torch.Tensor) else None
    full, weights = model_hashes(obj["config"], obj["schema"], obj["state_dict"], onnx)
    return LoadedModel(net, cfg, schema, full, str(path), dict(obj.get("meta", {})), decoder, onnx, calibration,
                       weights_hash=weights)


def upgrade_with_onnx(path: str | os.PathLike) -> tuple[str, str]:
    """Add the ONNX graph to an older model file in place; return ``(old hash, new hash)``.

    The old hash is kept in ``meta["previous_hashes"]`` so galleries built with the older
    file still open with the upgraded one (the weights are the same).
    """
    model = load_model(path)
    meta = dict(model.meta)
    if model.onnx is not None:
        return model.hash, model.hash
    meta["previous_hashes"] = list(meta.get("previous_hashes", [])) + [model.hash]
    new = save_model(path, model.net, model.schema, to_numpy_meta(meta), model.decoder, calibration=model.calibration)
    return model.hash, new


def resave(model: LoadedModel, **changes) -> str:
    """Write ``model`` back to its file with some derived parts changed (``decoder``,
    ``calibration``, ``meta``); the weights and the ONNX graph, and so the hash, stay."""
    parts = {"meta": model.meta, "decoder": model.decoder, "calibration": model.calibration, **changes}
    h = save_model(model.path, model.net, model.schema, to_numpy_meta(parts["meta"]), parts["decoder"],
                   onnx=model.onnx, calibration=parts["calibration"])
    if h != model.hash:
        raise CheckpointError(f"re-saving {model.path!r} changed its hash; the file was not meant to change weights")
    return h


def to_numpy_meta(meta: dict) -> dict:
    """Make a metrics dict plain (numpy scalars -> Python) so weights_only can load it."""
    def conv(v):
        if isinstance(v, dict):
            return {str(k): conv(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, np.generic):
            return v.item()
        return v
    return conv(meta)
