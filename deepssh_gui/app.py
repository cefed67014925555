"""``deepssh-gui`` / ``python -m deepssh_gui`` entry point (the desktop GUI)."""

from __future__ import annotations


def main(argv: list[str] | None = None) -> int:
    from .ui.app import main as gui_main

    return gui_main(argv)
