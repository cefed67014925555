"""Model files read without torch: the runtime's view of a DeepSSH checkpoint.

A model file is what ``torch.save`` writes for a dict of plain data and tensors (a zip
archive holding ``data.pkl`` and one entry per tensor storage)::

    format: "deepssh-model", format_version: 1, package_version: str,
    config: ModelConfig.to_dict(), schema: AttributeSchema.to_dict(),
    state_dict: {name: tensor}, meta: {command, seed, epoch, metrics, ...},
    decoder: Decoder.to_dict() | None, onnx: uint8 tensor | None (the network as an ONNX graph),
    calibration: Calibration.to_dict() | None (Platt parameters of the attribute probabilities)

This module reads it with numpy and a pickle reader that accepts exactly the five globals
such a file needs (tensor rebuild, three storage types, OrderedDict) and nothing else, so a
file that would run code is refused, like ``torch.load(weights_only=True)``. Declared
sizes are checked before anything is inflated, so a zip bomb is refused cheaply.

The *model hash* is a SHA-256 over the config, the schema, every tensor's bytes and, when
present, the ONNX graph: it identifies exactly what computes the codes. The decoder and the
calibration are derived from the weights and are not part of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..common.errors import CheckpointError
from .calibration import Calibration
from .config import ModelConfig
from .decoder import Decoder
from .schema import AttributeSchema

MODEL_FORMAT = "deepssh-model"
STATE_FORMAT = "deepssh-training-state"
FORMAT_VERSION = 1
# A 256-bit MobileNetV2 model is ~20 MB with its ONNX graph; a ResNet-50 one ~200 MB.
MAX_INFLATED_BYTES = 1 << 30

_STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "IntStorage": np.int32,
                   "HalfStorage": np.float16, "DoubleStorage": np.float64, "ByteStorage": np.uint8,
                   "BoolStorage": np.bool_, "CharStorage": np.int8, "ShortStorage": np.int16}


class _StorageType:
    def __init__(self, name: str) -> None:
        self.dtype = np.dtype(_STORAGE_DTYPES[name])


def _rebuild_tensor(storage: np.ndarray, offset: int, size, stride, *_ignored) -> np.ndarray:
    item = storage.itemsize
    if not size:
        return storage[offset:offset + 1].reshape(()).copy()
    need = offset + sum((s - 1) * st for s, st in zip(size, stride)) + 1
    if need > storage.size:
        raise CheckpointError("a tensor points outside its storage")
    return np.lib.stride_tricks.as_strided(storage[offset:], shape=tuple(size),
                                           strides=tuple(st * item for st in stride)).copy()


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, zf: zipfile.ZipFile, prefix: str) -> None:
        super().__init__(io.BytesIO(data))
        self.zf, self.prefix, self.storages = zf, prefix, {}

    def find_class(self, module: str, name: str):
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a model file")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage" and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unexpected persistent id {pid!r:.80}")
        _, stype, key, _location, numel = pid
        if key not in self.storages:
            raw = self.zf.read(f"{self.prefix}data/{key}")
            arr = np.frombuffer(raw, dtype=stype.dtype)
            if arr.size < numel:
                raise CheckpointError(f"tensor storage {key} is truncated")
            self.storages[key] = arr
        return self.storages[key]


def read_checkpoint(path: str | os.PathLike) -> dict:
    """The dict inside a torch-format checkpoint, tensors as numpy arrays; CheckpointError on any problem."""
    p = str(path)
    if not os.path.isfile(p):
        raise CheckpointError(f"model file {p!r} does not exist")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            inflated = sum(i.file_size for i in infos)
            if inflated > MAX_INFLATED_BYTES:
                raise CheckpointError(f"{p!r} declares {inflated / 2**20:.0f} MiB of content (limit "
                                      f"{MAX_INFLATED_BYTES / 2**20:.0f} MiB): refused before unpacking")
            pkl = [i.filename for i in infos if i.filename.endswith("data.pkl")]
            if len(pkl) != 1:
                raise CheckpointError(f"{p!r} is not a DeepSSH model file (no single data.pkl inside)")
            prefix = pkl[0][: -len("data.pkl")]
            order = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in zf.namelist() else "little"
            if order != "little":
                raise CheckpointError(f"{p!r} was written on a {order}-endian machine; not supported")
            obj = _Unpickler(zf.read(pkl[0]), zf, prefix).load()
    except CheckpointError:
        raise
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"{p!r} was refused: it is not a plain-data checkpoint and loading it would "
                              f"run code it contains ({str(exc).splitlines()[0]})") from None
    except zipfile.BadZipFile:
        raise CheckpointError(f"{p!r} is not a DeepSSH model file (not a zip archive; corrupt, truncated, "
                              f"or an old-style torch file)") from None
    except Exception as exc:  # noqa: BLE001 - damaged archives raise many types
        raise CheckpointError(f"{p!r} is not a readable model file (corrupt or truncated): "
                              f"{type(exc).__name__}: {exc}") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{p!r} is not a DeepSSH checkpoint (holds {type(obj).__name__})")
    return obj


def model_hash(config: dict, schema: dict, state_dict: dict, onnx: bytes | None = None) -> str:
    """SHA-256 over config, schema, tensor bytes (sorted by name) and the ONNX graph if any.

    ``state_dict`` values are numpy arrays or anything with ``.numpy()`` (torch tensors).
    """
    return model_hashes(config, schema, state_dict, onnx)[0]


def model_hashes(config: dict, schema: dict, state_dict: dict, onnx: bytes | None = None) -> tuple[str, str]:
    """``(model hash, weights hash)``: the second leaves the ONNX graph out, as the hash of a
    file written before ONNX export did (what ``previous_hashes`` may rightly hold)."""
    h = hashlib.sha256()
    h.update(json.dumps(config, sort_keys=True).encode())
    h.update(json.dumps(schema, sort_keys=True).encode())
    for k in sorted(state_dict):
        v = state_dict[k]
        arr = v if isinstance(v, np.ndarray) else v.detach().cpu().contiguous().numpy()
        h.update(k.encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    weights = h.hexdigest()  # the same stream, stopped before the graph
    if onnx:
        h.update(b"onnx")
        h.update(onnx)
    return h.hexdigest(), weights


def opens_galleries_of(model, gallery_hash: str) -> bool:
    """Whether a gallery recorded with ``gallery_hash`` was built by ``model`` (a ModelFile or LoadedModel).

    Its own hash; or a hash in ``meta["previous_hashes"]`` (the file before its ONNX graph was
    added), accepted only when it is what this file's own weights hash to: a different network
    that lists the shipped hash there opens nothing (issue #21).
    """
    if gallery_hash == model.hash:
        return True
    weights = getattr(model, "weights_hash", None)
    return weights is not None and gallery_hash == weights and gallery_hash in model.meta.get("previous_hashes", [])


@dataclass
class ModelFile:
    """Everything a model file says about itself, without its network.

    ``onnx`` is the serialised network (``None`` in files written before ONNX export).
    """

    config: ModelConfig
    schema: AttributeSchema
    hash: str
    path: str
    meta: dict = field(default_factory=dict)
    decoder: Decoder | None = None
    onnx: bytes | None = None
    calibration: Calibration | None = None
    weights_hash: str | None = None  # the hash without the ONNX graph (see model_hashes)
    _encoder: object = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return Path(self.path).stem

    def encoder(self):
        """The ONNX runtime encoder, created on first use (attribute-only work never needs it)."""
        if self._encoder is None:
            from .encoder import OnnxEncoder

            self._encoder = OnnxEncoder(self)
        return self._encoder


def check_model_dict(obj: dict, path: str, onnx_type: type = np.ndarray
                     ) -> tuple[ModelConfig, AttributeSchema, Decoder | None, Calibration | None]:
    """Validate the format fields and consistency of a checkpoint dict; CheckpointError otherwise.

    The ONNX graph is stored as a ``uint8`` tensor: ``onnx_type`` is how the reader sees it.
    """
    from .. import __version__

    fmt = obj.get("format")
    if fmt == STATE_FORMAT:
        raise CheckpointError(f"{path!r} is a training-state file; pass the model file written beside it")
    if fmt != MODEL_FORMAT:
        raise CheckpointError(f"{path!r} is not a DeepSSH model (format {fmt!r})")
    ver = obj.get("format_version")
    if ver != FORMAT_VERSION:
        raise CheckpointError(f"{path!r} uses model format version {ver}; this DeepSSH "
                              f"({__version__}) reads version {FORMAT_VERSION}")
    try:
        cfg = ModelConfig.from_dict(obj["config"])
        schema = AttributeSchema.from_dict(obj["schema"])
        if len(schema) != cfg.n_attrs:
            raise ValueError(f"schema has {len(schema)} attributes but the network has {cfg.n_attrs}")
        decoder = Decoder.from_dict(obj["decoder"]) if obj.get("decoder") else None
        if decoder is not None and decoder.layout != cfg.layout:
            raise ValueError(f"decoder layout {decoder.layout} does not match the network's {cfg.layout}")
        onnx = obj.get("onnx")
        if onnx is not None and not (isinstance(onnx, onnx_type) and str(onnx.dtype).endswith("uint8")
                                     and len(onnx.shape) == 1):
            raise ValueError("the onnx entry is not a uint8 vector")
        if not isinstance(obj["state_dict"], dict):
            raise ValueError("state_dict is not a dict")
        calibration = Calibration.from_dict(obj["calibration"]) if obj.get("calibration") else None
        if calibration is not None and len(calibration.a) != cfg.n_attrs:
            raise ValueError(f"calibration has {len(calibration.a)} attributes but the network has {cfg.n_attrs}")
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path!r} is damaged or inconsistent: {exc}") from None
    return cfg, schema, decoder, calibration


def load_model_file(path: str | os.PathLike) -> ModelFile:
    """Read and check a model file (no network is built). Raises CheckpointError with a specific reason."""
    obj = read_checkpoint(path)
    cfg, schema, decoder, calibration = check_model_dict(obj, str(path))
    onnx = obj["onnx"].tobytes() if obj.get("onnx") is not None else None
    full, weights = model_hashes(obj["config"], obj["schema"], obj["state_dict"], onnx)
    return ModelFile(cfg, schema, full, str(path), dict(obj.get("meta", {})), decoder, onnx, calibration,
                     weights_hash=weights)
