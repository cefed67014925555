"""``deepssh bench`` (search latency on synthetic codes) and ``bench-cli`` (whole-command cost)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from ..common.errors import DeepSSHError
from ..common.paths import DEMO_CROPS, DEMO_GALLERY, default_model_path
from .args import add_cluster_args, positive_int


def cmd_bench(args: argparse.Namespace) -> int:
    from ..common.progress import TqdmProgress

    bar = TqdmProgress("bench", unit="step")
    load_before = os.getloadavg()[0]
    if args.cluster or args.scheduler:
        from ..scale.backend import connect
        from ..scale.bench import run_cluster_bench

        backend = connect(args.cluster, args.scheduler)
        try:
            res = run_cluster_bench(backend, args.n, args.bits, args.queries, n_shards=args.shards, progress=bar)
        finally:
            bar.close()
            backend.close()
    else:
        from ..evaluate.bench import run_bench

        base = _encoded_codes(args.ivf_codes) if args.ivf_codes else None
        res = run_bench(args.n, args.bits, args.queries, progress=bar, with_ivf=args.ivf or base is not None,
                        ivf_base=base)
        bar.close()
    # idle and loaded runs are reported apart (docs/gallery.md): the 1-minute load average before and
    # after says which this was (about 0 idle; about the core count or more while training holds them)
    res["load_1min"] = {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2),
                        "cores": os.cpu_count()}
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        for k, v in res["latency"].items():
            print(f"{k:<22} p50 {v['p50_ms']:8.3f} ms   p95 {v['p95_ms']:8.3f} ms")
        for k, v in res.items():
            if k != "latency":
                print(f"{k}: {v}")
    return 0


def _encoded_codes(path: str):
    """The ``codes`` array of a ``deepssh encode`` output, read without pickle."""
    import numpy as np

    try:
        with np.load(path, allow_pickle=False) as z:
            codes = z["codes"]
    except (OSError, ValueError, KeyError) as exc:
        raise DeepSSHError(f"{path!r} is not a `deepssh encode` output with a codes array ({exc})") from None
    if codes.dtype != np.uint8 or codes.ndim != 2 or not len(codes):
        raise DeepSSHError(f"{path!r}: codes must be a non-empty uint8 (N, nbits/8) array, "
                           f"got {codes.dtype} {codes.shape}")
    return codes


def _run_measured(cmd: list[str]) -> tuple[float, float]:
    """``(wall seconds, peak RSS MiB)`` of one child process (its own rusage, via wait4)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_maxrss / 1024


def cmd_bench_cli(args: argparse.Namespace) -> int:
    """Whole ``deepssh search`` commands on a copy of a gallery, beside ``python -c pass`` in the same run."""
    tmp = tempfile.mkdtemp(prefix="deepssh-benchcli-")
    try:
        gal = os.path.join(tmp, "gallery")
        shutil.copytree(args.gallery, gal)  # searches are audited: never write into the shipped gallery
        probe = args.probe or str(sorted(DEMO_CROPS.glob("*.jpg"))[0])
        base = [sys.executable, "-m", "deepssh_gui.cli", "search", "--gallery", gal, "--model", args.model]
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "search --attributes": base + ["--attributes", "carryingBackpack, lowerBody:dark"],
            "search --image": base + ["--image", probe],
            "search --image --attributes": base + ["--image", probe, "--attributes", "lowerBody:dark"],
        }
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in cases}
        for _ in range(args.repeats):  # interleaved, so machine load hits every case alike
            for k, cmd in cases.items():
                runs[k].append(_run_measured(cmd))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    bare = statistics.median(w for w, _ in runs["python -c pass"])
    out = {"repeats": args.repeats, "cases": {}}
    for k, v in runs.items():
        wall = statistics.median(w for w, _ in v)
        out["cases"][k] = {"wall_s_median": round(wall, 3), "wall_s_max": round(max(w for w, _ in v), 3),
                           "peak_rss_mb": round(max(r for _, r in v), 1), "ratio_to_python_pass": round(wall / bare, 1)}
    print(json.dumps(out, indent=1))
    return 0


def register(sub) -> None:
    bn = sub.add_parser("bench", help="search latency, index build/load time and memory on synthetic codes")
    bn.add_argument("--n", type=int, default=1_000_000)
    bn.add_argument("--bits", type=int, default=256)
    bn.add_argument("--queries", type=int, default=50)
    bn.add_argument("--ivf", action="store_true", help="also build an IVF index and report its recall vs flat")
    bn.add_argument("--ivf-codes", metavar="CODES.npz",
                    help="IVF recall on noisy copies of these encoded crops (a `deepssh encode` output; implies --ivf)")
    bn.add_argument("--json", action="store_true")
    add_cluster_args(bn)
    bn.add_argument("--shards", type=positive_int, help="with a cluster: shards of the synthetic codes (default: one per worker)")
    bn.set_defaults(func=cmd_bench)

    bc = sub.add_parser("bench-cli", help="wall time and peak memory of whole search commands vs python -c pass")
    bc.add_argument("--gallery", default=str(DEMO_GALLERY), help="gallery to copy and search (default: the demo)")
    bc.add_argument("--model", default=str(default_model_path()))
    bc.add_argument("--probe", help="probe image (default: the first demo crop)")
    bc.add_argument("--repeats", type=int, default=5)
    bc.set_defaults(func=cmd_bench_cli)
