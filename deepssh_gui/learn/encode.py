"""Encoding crops into packed binary codes, attribute scores and float features."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from .checkpoint import LoadedModel
from ..common.errors import ImageError
from ..common.imageio import load_crop
from ..model.decoder import attribute_segments
from ..model.layout import attribute_scores, pack_bits
from .network import DeepSSHNet
from ..common.progress import Progress, check_cancel, no_progress


@dataclass
class Encoded:
    """Outputs for N images.

    codes ``uint8 (N, nbits // 8)``; attr_scores ``float32 (N, A)`` probabilities read from
    the binary code's attribute bits (:func:`layout.attribute_scores`); features ``float32 (N, C)`` pooled backbone features
    (only when asked for); paths: the N inputs that were encoded, in input order;
    failed: ``(path, reason)`` for inputs that could not be read.
    """

    codes: np.ndarray
    attr_scores: np.ndarray
    paths: list[str]
    failed: list[tuple[str, str]] = field(default_factory=list)
    features: np.ndarray | None = None


@torch.inference_mode()
def encode_arrays(net: DeepSSHNet, images: np.ndarray, batch_size: int = 128, with_features: bool = False,
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Encode ``uint8 (N, H, W, 3)`` RGB images already at the network input size.

    Returns ``(codes uint8 (N, nbits//8), attr_scores float32 (N, A), features float32 (N, C) | None)``.
    """
    was_training = net.training
    net.eval()
    codes, scores, feats = [], [], []
    try:
        for s in range(0, len(images), batch_size):
            x = net.normalise(torch.from_numpy(np.ascontiguousarray(images[s:s + batch_size])))
            f = net.embed(x)
            packed = pack_bits((net.heads(f)[0] > 0).numpy())
            codes.append(packed)
            scores.append(attribute_scores(attribute_segments(packed, net.cfg.layout), net.cfg.bits_per_attr,
                                           net.cfg.attr_step))
            if with_features:
                feats.append(f.numpy().astype(np.float32))
    finally:
        net.train(was_training)
    nbytes, a = net.cfg.nbits // 8, net.cfg.n_attrs
    return (np.concatenate(codes) if codes else np.zeros((0, nbytes), np.uint8),
            np.concatenate(scores) if scores else np.zeros((0, a), np.float32),
            (np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)) if with_features else None)


def _try_load(path: str, hw: tuple[int, int]) -> np.ndarray | str:
    try:
        return load_crop(path, hw)
    except ImageError as exc:
        return exc.reason


def encode_paths(model: LoadedModel, paths: Sequence[str], batch_size: int = 64, with_features: bool = False,
                 progress: Progress = no_progress, cancel: Callable[[], bool] | None = None,
                 io_threads: int | None = None) -> Encoded:
    """Read, resize and encode image files. Unreadable files go to ``failed``; never raises for them.

    Decoding runs in a small thread pool (PIL and OpenCV release the GIL) one batch ahead
    of the network, so reading overlaps inference. Raises ``Cancelled`` if ``cancel()``.
    """
    hw = model.config.input_hw
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
                c, s, f = encode_arrays(model.net, np.stack(imgs), batch_size=len(imgs), with_features=with_features)
                codes.append(c)
                scores.append(s)
                if f is not None:
                    feats.append(f)
            done += len(batch)
            progress(done, total)
    nbytes, a = model.config.nbits // 8, model.config.n_attrs
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
