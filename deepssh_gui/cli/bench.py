"""``deepssh bench``: search latency on synthetic codes."""

from __future__ import annotations

import argparse
import json



def cmd_bench(args: argparse.Namespace) -> int:
    from ..evaluate.bench import run_bench
    from ..common.progress import TqdmProgress

    bar = TqdmProgress("bench", unit="step")
    res = run_bench(args.n, args.bits, args.queries, progress=bar, with_ivf=args.ivf)
    bar.close()
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        for k, v in res["latency"].items():
            print(f"{k:<22} p50 {v['p50_ms']:8.3f} ms   p95 {v['p95_ms']:8.3f} ms")
        for k, v in res.items():
            if k != "latency":
                print(f"{k}: {v}")
    return 0


def register(sub) -> None:
    bn = sub.add_parser("bench", help="search latency, index build/load time and memory on synthetic codes")
    bn.add_argument("--n", type=int, default=1_000_000)
    bn.add_argument("--bits", type=int, default=256)
    bn.add_argument("--queries", type=int, default=50)
    bn.add_argument("--ivf", action="store_true", help="also build an IVF index and report its recall vs flat")
    bn.add_argument("--json", action="store_true")
    bn.set_defaults(func=cmd_bench)

