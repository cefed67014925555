"""Self-describing checkpoints, loaded with ``torch.load(weights_only=True)`` only.

A model file is a dict of plain data and tensors::

    format: "deepssh-model", format_version: 1, package_version: str,
    config: ModelConfig.to_dict(), schema: AttributeSchema.to_dict(),
    state_dict: {name: tensor}, meta: {command, seed, epoch, metrics, ...}

The *model hash* is a SHA-256 over the config, the schema and every tensor's bytes, so it
identifies the weights independently of how the file was written.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .. import __version__
from ..common.atomic import atomic_write_with
from ..model.decoder import Decoder
from ..common.errors import CheckpointError
from .network import DeepSSHNet, ModelConfig
from ..model.schema import AttributeSchema

MODEL_FORMAT = "deepssh-model"
STATE_FORMAT = "deepssh-training-state"
FORMAT_VERSION = 1


def model_hash(config: dict, schema: dict, state_dict: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(config, sort_keys=True).encode())
    h.update(json.dumps(schema, sort_keys=True).encode())
    for k in sorted(state_dict):
        h.update(k.encode())
        h.update(state_dict[k].detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


@dataclass
class LoadedModel:
    """A network ready for inference, with everything its checkpoint says about itself."""

    net: DeepSSHNet
    config: ModelConfig
    schema: AttributeSchema
    hash: str
    path: str
    meta: dict = field(default_factory=dict)
    decoder: "Decoder | None" = None

    @property
    def name(self) -> str:
        return Path(self.path).stem


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
               decoder: "Decoder | None" = None) -> str:
    """Write an inference checkpoint atomically; return its model hash.

    The decoder is derived from the weights, so it is stored beside them but is not part of
    the model hash: adding or refitting it does not invalidate galleries.
    """
    state = {k: v.detach().cpu().clone() for k, v in net.state_dict().items()}
    cfg = net.cfg.to_dict()
    sch = schema.to_dict()
    obj = {
        "format": MODEL_FORMAT,
        "format_version": FORMAT_VERSION,
        "package_version": __version__,
        "config": cfg,
        "schema": sch,
        "state_dict": state,
        "meta": meta,
        "decoder": decoder.to_dict() if decoder is not None else None,
    }
    atomic_write_with(path, lambda f: torch.save(obj, f))
    return model_hash(cfg, sch, state)


def load_model(path: str | os.PathLike) -> LoadedModel:
    """Load an inference model in eval mode. Raises CheckpointError with a specific reason."""
    obj = safe_load(path)
    fmt = obj.get("format")
    if fmt == STATE_FORMAT:
        raise CheckpointError(f"{str(path)!r} is a training-state file; pass the model file written beside it")
    if fmt != MODEL_FORMAT:
        raise CheckpointError(f"{str(path)!r} is not a DeepSSH model (format {fmt!r})")
    ver = obj.get("format_version")
    if ver != FORMAT_VERSION:
        raise CheckpointError(f"{str(path)!r} uses model format version {ver}; this DeepSSH "
                              f"({__version__}) reads version {FORMAT_VERSION}")
    try:
        cfg = ModelConfig.from_dict(obj["config"])
        schema = AttributeSchema.from_dict(obj["schema"])
        if len(schema) != cfg.n_attrs:
            raise ValueError(f"schema has {len(schema)} attributes but the network has {cfg.n_attrs}")
        net = DeepSSHNet(cfg, pretrained=False)
        net.load_state_dict(obj["state_dict"])
        decoder = Decoder.from_dict(obj["decoder"]) if obj.get("decoder") else None
        if decoder is not None and decoder.layout != cfg.layout:
            raise ValueError(f"decoder layout {decoder.layout} does not match the network's {cfg.layout}")
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"{str(path)!r} is damaged or inconsistent: {exc}") from None
    net.eval()
    return LoadedModel(net, cfg, schema, model_hash(obj["config"], obj["schema"], obj["state_dict"]),
                       str(path), dict(obj.get("meta", {})), decoder)


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
