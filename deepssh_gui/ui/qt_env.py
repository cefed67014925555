"""The process environment Qt needs, set before the first QApplication (no Qt import here)."""

from __future__ import annotations

import os


def fix_qt_plugin_path() -> None:
    """opencv-python points QT_QPA_PLATFORM_PLUGIN_PATH at its own Qt plugins, which are
    incompatible with PySide6's; drop it (and import cv2 now, through the guarded import)."""
    from ..common.imageio import import_cv2  # here, not at import: cv2 is what sets the variable

    val = os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")
    if "cv2" in val:
        os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH")
    import_cv2()
    val = os.environ.get("QT_QPA_PLATFORM_PLUGIN_PATH", "")
    if "cv2" in val:
        os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH")
