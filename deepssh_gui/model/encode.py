"""Encoding image files into packed binary codes, attribute scores and float features.

Works with any :class:`~deepssh_gui.model.encoder.Encoder`: the ONNX runtime encoder in the
product, the torch one (``deepssh_gui.learn.encode.TorchEncoder``) in training and evaluation.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..common.errors import ImageError
from ..common.imageio import load_crop
from ..common.progress import Progress, check_cancel, no_progress
from .encoder import Encoder


@dataclass
class Encoded:
    """Outputs for N images.

    codes ``uint8 (N, nbits // 8)``; attr_scores ``float32 (N, A)``: the attribute
    classifier's probabilities, calibrated when the model carries a calibration; features ``float32 (N, C)`` pooled backbone features
    (only when asked for); paths: the N inputs that were encoded, in input order;
    failed: ``(path, reason)`` for inputs that could not be read.
    """

    codes: np.ndarray
    attr_scores: np.ndarray
    paths: list[str]
    failed: list[tuple[str, str]] = field(default_factory=list)
    features: np.ndarray | None = None


def _try_load(path: str, hw: tuple[int, int]) -> np.ndarray | str:
    try:
        return load_crop(path, hw)
    except ImageError as exc:
        return exc.reason


def encode_paths(encoder: Encoder, paths: Sequence[str], batch_size: int = 64, with_features: bool = False,
                 progress: Progress = no_progress, cancel: Callable[[], bool] | None = None,
                 io_threads: int | None = None) -> Encoded:
    """Read, resize and encode image files. Unreadable files go to ``failed``; never raises for them.

    Decoding runs in a small thread pool (PIL and OpenCV release the GIL) one batch ahead
    of the network, so reading overlaps inference. Raises ``Cancelled`` if ``cancel()``.
    """
    hw = encoder.config.input_hw
    paths = [str(p) for p in paths]
    total = len(paths)
    ok_paths: list[str] = []
    failed: list[tuple[str, str]] = []
    codes, scores, feats = [], [], []
    threads = io_threads or max(1, min(4, os.cpu_count() or 1))
    progress(0, total)
    batches = [paths[s:s + batch_size] for s in range(0, total, batch_size)]
    with ThreadPoolExecutor(threads) as pool:
        def submit(b: list[str]):
            return [pool.submit(_try_load, p, hw) for p in b]

        # At most two batches in flight: bounded memory however large the folder is.
        ahead = [submit(b) for b in batches[:2]]
        done = 0
        for bi, batch in enumerate(batches):
            futures = ahead.pop(0)
            if bi + 2 < len(batches):
                ahead.append(submit(batches[bi + 2]))
            try:
                check_cancel(cancel)
            except BaseException:
                for fl in ahead:
                    for fu in fl:
                        fu.cancel()
                raise
            imgs = []
            for p, fu in zip(batch, futures):
                r = fu.result()
                if isinstance(r, str):
                    failed.append((p, r))
                else:
                    ok_paths.append(p)
                    imgs.append(r)
            if imgs:
                c, s, f = encoder.encode(np.stack(imgs), batch_size=len(imgs), with_features=with_features)
                codes.append(c)
                scores.append(s)
                if f is not None:
                    feats.append(f)
            done += len(batch)
            progress(done, total)
    nbytes, a = encoder.config.nbits // 8, encoder.config.n_attrs
    return Encoded(
        codes=np.concatenate(codes) if codes else np.zeros((0, nbytes), np.uint8),
        attr_scores=np.concatenate(scores) if scores else np.zeros((0, a), np.float32),
        paths=ok_paths,
        failed=failed,
        features=(np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)) if with_features else None,
    )


def save_npz(path: str | os.PathLike, enc: Encoded, attr_names: list[str]) -> None:
    """Write the ``deepssh encode`` contract atomically: codes, paths, attr_scores, attr_names."""
    import io

    from ..common.atomic import atomic_write_bytes

    buf = io.BytesIO()
    np.savez(buf, codes=enc.codes, paths=np.array(enc.paths, dtype=str),
             attr_scores=enc.attr_scores, attr_names=np.array(attr_names, dtype=str))
    atomic_write_bytes(path, buf.getvalue())
