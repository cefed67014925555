"""Eager against torch.compile (inductor): forward + backward of the v6 network, CPU, one run.

usage: .venv/bin/python tools/compile_check.py [HxW]   (default 192x96; no data needed)

The backbone with IBN and region pooling and both heads, batch 64, channels-last, the first four
blocks frozen, random input and a stand-in loss (MixStyle's hooks are left out: they draw random
numbers on the host, which breaks the compiled graph). Prints the compile time and the seconds a
step of each, alternated for three rounds of four steps: only the ratio in one run means anything.
"""

import sys
import time

import torch

from deepssh_gui.learn.network import DeepSSHNet
from deepssh_gui.model.config import ModelConfig


def main(hw: tuple[int, int]) -> None:
    torch.set_num_threads(2)
    cfg = ModelConfig(nbits=512, n_attrs=57, bits_per_attr=2, input_hw=hw, ibn_after=(3, 6, 10), stripes=2)

    def make() -> DeepSSHNet:
        torch.manual_seed(0)
        net = DeepSSHNet(cfg).to(memory_format=torch.channels_last).train()
        for p in net.features[:4].parameters():
            p.requires_grad_(False)
        return net

    x = torch.randn(64, 3, *hw).contiguous(memory_format=torch.channels_last)
    eager, comp = make(), make()
    runs = {"eager": lambda t: eager.heads(eager.embed(t)), "compiled": torch.compile(lambda t: comp.heads(comp.embed(t)))}

    def step(f) -> None:
        h, logits = f(x)
        (h.pow(2).mean() + logits.pow(2).mean()).backward()

    t0 = time.time()
    step(runs["compiled"])
    print(f"compile + first step {time.time() - t0:.1f} s", flush=True)
    for r in range(3):
        for name, f in runs.items():
            t0 = time.time()
            for _ in range(4):
                step(f)
            print(f"round {r} {name:<8} {(time.time() - t0) / 4:.3f} s/step", flush=True)


if __name__ == "__main__":
    main(tuple(int(v) for v in sys.argv[1].split("x")) if len(sys.argv) > 1 else (192, 96))
