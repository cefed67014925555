"""Export the network to an ONNX graph that the runtime runs with onnxruntime.

The graph takes ``uint8 (N, H, W, 3)`` RGB crops at the model's input size and does the
normalisation itself, so the runtime needs nothing but the graph. Outputs:
``code float32 (N, nbits)`` (the relaxed code; bits are its signs), ``attr_logits float32
(N, A)`` and ``features float32 (N, C)`` (the pooled backbone feature). The batch axis is
dynamic.
"""

from __future__ import annotations

import copy
import io
import warnings

import torch
from torch import nn

from .network import DeepSSHNet

ONNX_OPSET = 17
INPUT_NAME = "images"
OUTPUT_NAMES = ("code", "attr_logits", "features")


class _Exported(nn.Module):
    def __init__(self, net: DeepSSHNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, images_u8: torch.Tensor):
        f = self.net.embed(self.net.normalise(images_u8))
        code, logits = self.net.heads(f)
        return code, logits, f


def export_onnx(net: DeepSSHNet) -> bytes:
    """The ONNX graph of ``net`` (in eval mode; the module's mode is restored)."""
    if next(net.parameters()).device.type != "cpu":
        net = copy.deepcopy(net).cpu()  # the graph is exported from CPU tensors; the runtime is CPU-only
    was_training = net.training
    net.eval()
    h, w = net.cfg.input_hw
    dummy = torch.zeros((2, h, w, 3), dtype=torch.uint8)
    buf = io.BytesIO()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice
            torch.onnx.export(_Exported(net), (dummy,), buf, input_names=[INPUT_NAME], output_names=list(OUTPUT_NAMES),
                              dynamic_axes={INPUT_NAME: {0: "n"}, **{o: {0: "n"} for o in OUTPUT_NAMES}},
                              opset_version=ONNX_OPSET, do_constant_folding=True, dynamo=False)
    finally:
        net.train(was_training)
    return buf.getvalue()
