"""Training speed of the numeric settings, measured in one run by ``deepssh bench-train``.

Each setting trains the same synthetic set with :func:`~deepssh_gui.learn.train.train` itself
(the same step code as ``deepssh train``) for two short epochs; the second epoch's time is
the figure, so one-off costs (allocations, oneDNN kernel choice) are left out. Settings run
in turn, ``repeats`` rounds in alternating order, and each keeps its best round: machines are
shared and noisy, so only ratios to the fp32 baseline of the same run are meaningful.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from ..common.progress import Progress, no_progress
from ..model.schema import PETA
from .datasets.base import Sample, SampleSet
from .train import TrainConfig, train

SETTINGS = {  # name: (precision, channels_last, fill_fresh_memory)
    # the training step as it was before 2026-12-07: torch filled every new tensor (see train.deterministic_kernels)
    "fp32+fill": ("fp32", False, True),
    "fp32": ("fp32", False),
    "fp32+channels_last": ("fp32", True),
    "bf16": ("bf16", False),
    "bf16+channels_last": ("bf16", True),
}
DEFAULT_SETTINGS = ("fp32", "fp32+channels_last", "bf16", "bf16+channels_last")


def synthetic_set(root: Path, hw: tuple[int, int], n_ids: int = 48, per_id: int = 4, seed: int = 0) -> SampleSet:
    """Random-pixel crops written under ``root`` with random attribute labels (speed only)."""
    rng = np.random.default_rng(seed)
    samples, rows = [], []
    for pid in range(n_ids):
        row = (rng.random(len(PETA)) < 0.3).astype(np.int8)
        for j in range(per_id):
            p = root / f"{pid:04d}_{j}.png"
            Image.fromarray(rng.integers(0, 255, (hw[0], hw[1], 3), dtype=np.uint8)).save(p)
            samples.append(Sample(str(p), f"S/{pid}", "S", "ab"[j % 2]))
            rows.append(row)
    return SampleSet(PETA, samples, np.stack(rows))


def bench_train(input_hw: tuple[int, int] = (192, 96), batch_size: int = 64, steps: int = 12, repeats: int = 2,
                threads: int = 0, settings: tuple[str, ...] = DEFAULT_SETTINGS, base: TrainConfig | None = None,
                progress: Progress = no_progress) -> dict:
    """Crops per second of a training epoch for each setting, and each one's speed-up over fp32.

    ``base`` carries the recipe (P x K, IBN, stripes, MixStyle...); its output path, epochs,
    steps, precision and layout are replaced here.
    """
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise ValueError(f"unknown settings {sorted(unknown)}; choose from {', '.join(SETTINGS)}")
    best: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="deepssh-bench-train-") as tmp:
        root = Path(tmp)
        (root / "img").mkdir()
        # enough crops for ``steps`` full batches: the epoch would otherwise stop early (n // batch)
        data = synthetic_set(root / "img", input_hw, n_ids=max(48, -(-steps * batch_size // 4)), per_id=4)
        # the shipped recipe (v6): 3/4 of the batch P x K (12 x 4 at 64), triplet, IBN, MixStyle, region
        # pooling, colour jitter, attribute-labelled batch extras
        pk = (max(1, min(12, batch_size * 3 // 16)), 4)
        cfg0 = base or TrainConfig(out="", nbits=512, pk=pk, w_triplet=1.0, ibn_after=(3, 6, 10), stripes=2,
                                   mixstyle_after=(3, 6), color_jitter=0.3, extra_labelled=True)
        cfg0 = replace(cfg0, input_hw=input_hw, batch_size=batch_size, epochs=2, max_steps_per_epoch=steps,
                       val_every=0, threads=threads)
        order = list(settings)
        done, total, steps_run = 0, repeats * len(order), 0
        for r in range(repeats):
            for name in (order if r % 2 == 0 else order[::-1]):
                precision, cl, *fill = SETTINGS[name]
                cfg = replace(cfg0, out=str(root / f"{name}-{r}" / "m.pt"), precision=precision, channels_last=cl)
                t0 = time.perf_counter()
                res = train(cfg, data, resume=False, print_fn=lambda s: None, use_cache=False,
                            fill_fresh_memory=bool(fill))
                steps_run = int(res.history[-1]["steps"])  # what the timed epoch really ran
                seconds = float(res.history[-1]["seconds"])
                best[name] = min(best.get(name, float("inf")), seconds)
                done += 1
                progress(done, total, f"{name} {time.perf_counter() - t0:.0f} s")
    crops = steps_run * batch_size
    out = {"input_hw": list(input_hw), "batch_size": batch_size, "steps": steps_run, "repeats": repeats,
           "threads": threads or None, "settings": {}}
    ref = best.get("fp32")
    for name, s in best.items():
        out["settings"][name] = {"epoch_seconds": round(s, 2), "crops_per_s": round(crops / max(s, 1e-9), 1),
                                 "speedup_vs_fp32": round(ref / s, 3) if ref else None}
    return out
