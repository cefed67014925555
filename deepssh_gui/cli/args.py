"""Argument helpers shared by the command modules."""

from __future__ import annotations

import argparse
import shlex
import sys

from ..common.errors import DeepSSHError
from ..common.argtypes import positive_int  # noqa: F401 (re-exported for the command modules)
from ..common.paths import default_model_path  # noqa: F401 (re-exported for the command modules)

# ingest.video.TRACKERS, written out so that building the parser imports no OpenCV (a test keeps them equal)
TRACKERS = ("kalman", "deepsort", "iou")


def command_line() -> str:
    """The command as typed, recorded in models and reports."""
    return "deepssh " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def hw_arg(text: str) -> tuple[int, int]:
    try:
        h, w = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW such as 128x64, got {text!r}") from None
    if h % 32 or w % 32:
        raise argparse.ArgumentTypeError("input height and width must be multiples of 32")
    return h, w


def parse_time(text: str | None) -> float | None:
    """Seconds: a number, or an ISO date-time (converted to a Unix timestamp)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise DeepSSHError(f"cannot read time {text!r}: give seconds or an ISO date-time") from None


def labelled_data(args, model):
    """The dataset named by ``--dataset/--root/--subsets``, refused if its labels are not the model's schema."""
    from ..learn.datasets import load_dataset

    data = load_dataset(args.dataset, args.root, args.subsets.split(",") if args.subsets else None)
    if data.schema.names != model.schema.names:
        raise DeepSSHError(f"{model.name} was trained with the {model.schema.name} schema; "
                           f"the {args.dataset} labels do not match it")
    return data


def add_engine_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=["onnx", "torch"], default="onnx",
                   help="network runtime: onnx (onnxruntime, the default) or torch (needs the [train] extra)")


def runtime_model(path: str, engine: str = "onnx"):
    """The model for runtime work: a ``ModelFile`` whose encoder is ONNX, or the torch ``LoadedModel``."""
    if engine == "torch":
        try:
            from ..learn.checkpoint import load_model
        except ImportError as exc:
            raise DeepSSHError(f"--engine torch needs PyTorch (pip install 'deepssh-gui[train]'): {exc}") from None
        return load_model(path)
    from ..model.modelfile import load_model_file

    return load_model_file(path)



def add_cluster_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", metavar="local:N", help="run shard tasks on a new local Dask cluster of N processes")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786", help="run shard tasks on an existing Dask cluster")


def open_engine(gallery: str, model, args: argparse.Namespace, read_only: bool = False):
    """The engine for ``gallery`` (see :func:`..scale.open.open_engine`) with ``--cluster``/``--scheduler``."""
    from ..scale.open import open_engine as open_any

    return open_any(gallery, model, getattr(args, "cluster", None), getattr(args, "scheduler", None), read_only)
