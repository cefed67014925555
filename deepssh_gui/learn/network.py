"""The DeepSSH hashing network: backbone -> structured code (attribute bits + identity bits).

Attribute ``i`` has a logit from a linear attribute classifier on the pooled feature. Its
``k`` bits are a *thermometer* code of that logit: bit ``j`` is ``logit_i > t_j`` with
thresholds ``t_j = step * (j - (k - 1) // 2)``, so bit ``(k - 1) // 2`` is exactly the
classifier's yes/no decision and the others say how confident it is (k = 2: ``00`` no,
``10`` weak yes, ``11`` confident yes). Attribute bits therefore mean something on their
own, which is what makes hits explainable and lets the decoder turn a description into
a partial code. The remaining bits come from a hashing layer trained for identity.

``forward`` returns the relaxed code ``float32 (N, nbits)`` in (-1, 1); binary codes are
its signs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..model.config import ModelConfig
from .backbone import build_backbone


class DeepSSHNet(nn.Module):
    def __init__(self, cfg: ModelConfig, pretrained: bool = False, backbone_weights: str | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        lay = cfg.layout
        self.features, channels = build_backbone(cfg.backbone, pretrained, backbone_weights)
        self.backbone_channels = channels
        channels *= 1 + cfg.stripes  # the pooled feature: global pool, then one pool per stripe
        for i in cfg.ibn_after:
            self.features[i] = IBNBlock(self.features[i], _out_channels(self.features[i]))
        # BatchNorm on the pooled feature (a "BNNeck") standardises it for both linear heads;
        # without it the attribute classifier learns far more slowly from raw ReLU6 features.
        self.feat_bn = nn.BatchNorm1d(channels)
        self.dropout = nn.Dropout(cfg.dropout)
        self.attr_head = nn.Linear(channels, cfg.n_attrs)
        self.id_hash = nn.Linear(channels, cfg.nbits - lay.n_attr_bits)
        # BatchNorm before tanh centres every identity bit on 0, which starts bits balanced.
        self.id_bn = nn.BatchNorm1d(cfg.nbits - lay.n_attr_bits)
        self.register_buffer("thresholds", attr_thresholds(cfg.bits_per_attr, cfg.attr_step), persistent=False)
        self.register_buffer("mean", torch.tensor(cfg.mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(cfg.std).view(1, 3, 1, 1), persistent=False)

    def normalise(self, images_u8: torch.Tensor) -> torch.Tensor:
        """``uint8 (N, H, W, 3)`` RGB -> normalised ``float32 (N, 3, H, W)``."""
        x = images_u8.permute(0, 3, 1, 2).float().div_(255.0)
        return (x - self.mean) / self.std

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled float feature ``(N, C * (1 + stripes))`` from normalised input ``(N, 3, H, W)``.

        With ``stripes`` the global average pool is followed by the average pools of that many
        horizontal stripes of the last feature map, top to bottom.
        """
        fmap = self.features(x)
        pooled = F.adaptive_avg_pool2d(fmap, 1).flatten(1)
        if not self.cfg.stripes:
            return pooled
        rows = F.adaptive_avg_pool2d(fmap, (self.cfg.stripes, 1)).flatten(2)  # (N, C, stripes)
        return torch.cat([pooled, rows.transpose(1, 2).flatten(1)], dim=1)

    def heads(self, feat: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(relaxed code (N, nbits), attribute logits (N, A))`` from pooled features."""
        f = self.dropout(self.feat_bn(feat))
        logits = self.attr_head(f)
        attr_bits = torch.tanh(logits[:, :, None] - self.thresholds).flatten(1)
        id_bits = torch.tanh(self.id_bn(self.id_hash(f)))
        return torch.cat([attr_bits, id_bits], dim=1), logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Relaxed code ``float32 (N, nbits)`` in (-1, 1) from normalised input."""
        return self.heads(self.embed(x))[0]


class IBNBlock(nn.Module):
    """A backbone block followed by InstanceNorm on the first half of its output channels."""

    def __init__(self, block: nn.Module, channels: int) -> None:
        super().__init__()
        self.block = block
        self.half = channels // 2
        self.ibn_norm = nn.InstanceNorm2d(self.half, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return torch.cat([self.ibn_norm(y[:, : self.half]), y[:, self.half:]], dim=1)


class MixStyle:
    """MixStyle (Zhou et al., ICLR 2021) as a forward hook on a backbone block, training only.

    With probability ``p`` per batch, each image's per-channel feature mean and standard
    deviation are replaced by a Beta(alpha, alpha) mix of its own and those of another image of
    the batch, which synthesises new "camera styles" while keeping the content. It changes
    nothing in evaluation mode, so neither the weights, the ONNX graph nor the hash see it.
    Random draws use torch's global generator, which training seeds per epoch.
    """

    def __init__(self, p: float = 0.5, alpha: float = 0.1, eps: float = 1e-6) -> None:
        self.p, self.alpha, self.eps = p, alpha, eps
        self.beta = torch.distributions.Beta(alpha, alpha)

    def __call__(self, module: nn.Module, inputs, output: torch.Tensor):
        if not module.training or torch.rand(1).item() > self.p:
            return None
        n = output.shape[0]
        mu = output.mean(dim=(2, 3), keepdim=True)
        sig = (output.var(dim=(2, 3), keepdim=True) + self.eps).sqrt()
        mu, sig = mu.detach(), sig.detach()  # as in the paper: the statistics carry no gradient
        normed = (output - mu) / sig
        lam = self.beta.sample((n, 1, 1, 1)).to(output.device, output.dtype)
        perm = torch.randperm(n)
        mix_mu = lam * mu + (1 - lam) * mu[perm]
        mix_sig = lam * sig + (1 - lam) * sig[perm]
        return normed * mix_sig + mix_mu


def add_mixstyle(net: "DeepSSHNet", after: tuple[int, ...], p: float = 0.5, alpha: float = 0.1) -> list:
    """Hook MixStyle onto ``net.features[i]`` for each ``i`` in ``after``; returns the hook handles."""
    return [net.features[i].register_forward_hook(MixStyle(p, alpha)) for i in after]


def _out_channels(block: nn.Module) -> int:
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError("an IBN block must contain a convolution")
    return convs[-1].out_channels


def attr_thresholds(k: int, step: float) -> torch.Tensor:
    """Thermometer thresholds ``float32 (k,)``; index ``(k - 1) // 2`` is 0 (the decision)."""
    return torch.tensor([step * (j - (k - 1) // 2) for j in range(k)], dtype=torch.float32)


def build_model(cfg: ModelConfig, pretrained: bool = True, backbone_weights: str | None = None) -> DeepSSHNet:
    return DeepSSHNet(cfg, pretrained=pretrained, backbone_weights=backbone_weights)
