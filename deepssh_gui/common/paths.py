"""Where the shipped files are: ``models/`` and ``resources/`` beside the package in a source
tree, or inside a PyInstaller bundle (``sys._MEIPASS``); and the user's writable demo copy."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SOURCE_ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_MODEL_NAME = "deepssh_v6_512_256.pt"


def _roots() -> list[Path]:
    return [SOURCE_ROOT, Path(getattr(sys, "_MEIPASS", SOURCE_ROOT))]


def default_model_path() -> Path:
    """The bundled model (the first root that has it; the source tree's path otherwise)."""
    for base in _roots():
        p = base / "models" / DEFAULT_MODEL_NAME
        if p.is_file():
            return p
    return SOURCE_ROOT / "models" / DEFAULT_MODEL_NAME


def bundled_model_files() -> list[Path]:
    """Every model file shipped in ``models/`` (the default one first)."""
    seen, out = set(), []
    for base in _roots():
        for p in sorted((base / "models").glob("*.pt"), key=lambda q: (q.name != DEFAULT_MODEL_NAME, q.name)):
            if p.resolve() not in seen:
                seen.add(p.resolve())
                out.append(p)
    return out


def resources_dir() -> Path:
    return Path(getattr(sys, "_MEIPASS", SOURCE_ROOT)) / "resources"


DEMO_CROPS = resources_dir() / "demo" / "crops"
DEMO_GALLERY = resources_dir() / "demo" / "gallery"
DEMO_VIDEO = resources_dir() / "demo" / "vtest.avi"
DESCRIPTION_SET = SOURCE_ROOT / "resources" / "eval" / "descriptions.tsv"  # evaluation data: source tree only


def user_data_dir() -> Path:
    """The user's writable DeepSSH folder: ``$DEEPSSH_DATA``, else ``$XDG_DATA_HOME/deepssh``."""
    return Path(os.environ.get("DEEPSSH_DATA", Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
                               / "deepssh"))


def user_demo_gallery() -> Path:
    """A writable copy of the bundled demo gallery (and its clip) in the user's data folder.

    The bundled copy stays pristine (it may be read-only inside an installed application);
    searches on the copy are recorded in its own audit log.
    """
    dest = user_data_dir() / "demo"
    gal = dest / "gallery"
    marker = gal / ".copied-from"
    src_db = DEMO_GALLERY / "gallery.sqlite"
    stamp = f"{src_db.stat().st_size}:{src_db.stat().st_mtime_ns}"
    if not marker.is_file() or marker.read_text() != stamp:
        tmp = dest.with_name(".demo-copying")
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(DEMO_GALLERY, tmp / "gallery")
        shutil.copy2(DEMO_VIDEO, tmp / "vtest.avi")
        (tmp / "gallery" / ".copied-from").write_text(stamp)
        shutil.rmtree(dest, ignore_errors=True)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    return gal
