"""``deepssh-gui`` / ``python -m deepssh_gui`` entry point.

The desktop GUI is not built yet (issue 5); until then this starts the command-line demo
on the bundled crops, so ``make run`` shows the model working end to end.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from .cli import main as cli_main

    print("deepssh-gui: the desktop window is not available yet; running the command-line demo.\n",
          file=sys.stderr)
    return cli_main(["demo", *(sys.argv[1:] if argv is None else argv)])
