"""``deepssh`` command line: one module per command group, each with ``register(sub)``.

Heavy imports happen inside each command, so ``--help`` is instant.
"""

from __future__ import annotations

import argparse
import sys

from .. import __version__
from ..common.errors import DeepSSHError
from . import bench, demo, encode, evaluate, evaluate_ingest, gallery, person, route, search, train


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="deepssh", description="DeepSSH forensic person search")
    ap.add_argument("--version", action="version", version=f"deepssh {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    for group in (train, person, encode, evaluate, evaluate_ingest, gallery, search, route, bench, demo):
        group.register(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench-gui"]:  # Qt benchmark: kept out of the parser so the CLI never imports Qt
        from ..ui.bench import main as bench_gui

        return bench_gui(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except DeepSSHError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cancelled", file=sys.stderr)
        return 130
    except OSError as exc:  # a full disk, a lost drive, no permission: a sentence, not a traceback
        import errno

        where = f" ({exc.filename})" if exc.filename else ""
        what = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        print(f"error: {what}{where}; files are written whole or not at all, so nothing half-written was left",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
