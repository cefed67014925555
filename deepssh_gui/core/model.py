"""The DeepSSH hashing network: backbone -> structured relaxed code -> attribute logits.

``forward`` returns the relaxed code ``float32 (N, nbits)`` in (-1, 1) (tanh). Binary codes
are its signs. Each attribute's logit is read only from its own bit group:
``logit_i = softplus(s_i) * mean(code[group_i]) + b_i``. The scale is kept positive so that
"attribute present" always means "its bits are +1": that is what makes the code explainable
and lets a partial code be decoded from an attribute description.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .backbone import IMAGENET_MEAN, IMAGENET_STD, build_backbone
from .layout import CodeLayout


@dataclass
class ModelConfig:
    """Architecture arguments; stored verbatim in every checkpoint."""

    nbits: int = 256
    n_attrs: int = 57
    bits_per_attr: int = 2
    backbone: str = "mobilenet_v2"
    input_hw: tuple[int, int] = (128, 64)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    dropout: float = 0.2

    def __post_init__(self) -> None:
        self.input_hw = tuple(int(x) for x in self.input_hw)
        self.mean = tuple(float(x) for x in self.mean)
        self.std = tuple(float(x) for x in self.std)
        CodeLayout(self.nbits, self.n_attrs, self.bits_per_attr)  # validates

    @property
    def layout(self) -> CodeLayout:
        return CodeLayout(self.nbits, self.n_attrs, self.bits_per_attr)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_hw"], d["mean"], d["std"] = list(self.input_hw), list(self.mean), list(self.std)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown model arguments {sorted(unknown)}")
        return cls(**d)


class DeepSSHNet(nn.Module):
    def __init__(self, cfg: ModelConfig, pretrained: bool = False, backbone_weights: str | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.features, channels = build_backbone(cfg.backbone, pretrained, backbone_weights)
        self.dropout = nn.Dropout(cfg.dropout)
        self.hash = nn.Linear(channels, cfg.nbits)
        # BatchNorm before tanh centres every bit on 0, which starts bits balanced.
        self.hash_bn = nn.BatchNorm1d(cfg.nbits)
        self.attr_scale = nn.Parameter(torch.full((cfg.n_attrs,), 2.0))
        self.attr_bias = nn.Parameter(torch.zeros(cfg.n_attrs))
        self.register_buffer("mean", torch.tensor(cfg.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.std).view(1, 3, 1, 1), persistent=False)
        nn.init.normal_(self.hash.weight, std=0.01)
        nn.init.zeros_(self.hash.bias)

    def normalise(self, images_u8: torch.Tensor) -> torch.Tensor:
        """``uint8 (N, H, W, 3)`` RGB -> normalised ``float32 (N, 3, H, W)``."""
        x = images_u8.permute(0, 3, 1, 2).float().div_(255.0)
        return (x - self.mean) / self.std

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled float feature ``(N, C)`` from normalised input ``(N, 3, H, W)``."""
        return F.adaptive_avg_pool2d(self.features(x), 1).flatten(1)

    def code_from_feature(self, feat: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.hash_bn(self.hash(self.dropout(feat))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Relaxed code ``float32 (N, nbits)`` in (-1, 1) from normalised input."""
        return self.code_from_feature(self.embed(x))

    def attr_logits(self, code: torch.Tensor) -> torch.Tensor:
        """``(N, A)`` attribute logits from a relaxed or ±1 code ``(N, nbits)``."""
        k, a = self.cfg.bits_per_attr, self.cfg.n_attrs
        seg = code[:, : a * k].reshape(code.shape[0], a, k).mean(dim=2)
        return F.softplus(self.attr_scale) * seg + self.attr_bias


def build_model(cfg: ModelConfig, pretrained: bool = True, backbone_weights: str | None = None) -> DeepSSHNet:
    return DeepSSHNet(cfg, pretrained=pretrained, backbone_weights=backbone_weights)
