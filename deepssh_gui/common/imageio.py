"""Safe image reading: every failure becomes an :class:`ImageError`, never a crash.

PIL is used (not ``cv2.imread``) because it reads the header before decoding, so a huge
image is refused before its pixels are allocated, and it opens non-ASCII paths.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import ImageError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})
# 50 megapixels covers any real CCTV frame (8K is 33 MP); a bigger "image" is a mistake or an attack.
MAX_PIXELS = 50_000_000


def is_image_path(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in IMAGE_EXTENSIONS


_DEEP_MODES = ("I;16", "I;16B", "I;16L", "I;16N", "I", "F")


def _deep_to_rgb8(p: str, im) -> np.ndarray:
    """A greyscale image of more than 8 bits (16-bit PNG, 32-bit integer or float TIFF) as 8-bit RGB.

    PIL's ``convert("RGB")`` clips such values at 255, so a 16-bit photo came out all white and a
    float one (values in 0..1) black. Integers are scaled from their bit depth, floats from
    0..1 (or 0..255 when they are already in that range); anything else is refused.
    """
    a = np.asarray(im, dtype=np.float64)
    lo, hi = (float(a.min()), float(a.max())) if a.size else (0.0, 0.0)
    if not np.isfinite(a).all():
        raise ImageError(p, "floating-point image with NaN or infinite pixels")
    if im.mode == "F":
        if lo >= 0 and hi <= 1:
            a = a * 255.0
        elif not (lo >= 0 and hi <= 255):
            raise ImageError(p, f"floating-point image with values from {lo:g} to {hi:g}: convert it to 8 bits "
                                f"per channel first (no safe scale is known)")
    elif lo < 0 or hi > 65535:
        raise ImageError(p, f"{im.mode} image with values from {lo:g} to {hi:g}: convert it to 8 bits per channel")
    else:
        a = a / 257.0  # 16 bits to 8: 65535 -> 255
    g = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    return np.repeat(g[:, :, None], 3, axis=2)


def read_rgb(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as ``uint8 (H, W, 3)`` RGB, upright.

    A phone photo stores its pixels sideways with an EXIF orientation tag; the tag is applied,
    so a probe photo is seen as the person looked at it (unrotated it was 76 of 256 bits away
    from the same crop). Raises :class:`ImageError` for missing, empty, truncated, non-image
    or oversized files.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    p = str(path)
    try:
        size = os.path.getsize(p)
    except OSError as exc:
        raise ImageError(p, exc.strerror or str(exc)) from None
    if size == 0:
        raise ImageError(p, "file is empty (0 bytes)")
    try:
        with Image.open(p) as im:
            w, h = im.size
            if w * h > max_pixels:
                raise ImageError(p, f"image is {w}x{h}, over the {max_pixels:,}-pixel limit (refused before decoding)")
            if w < 2 or h < 2:
                raise ImageError(p, f"image is only {w}x{h} pixels")
            im.load()
            im = ImageOps.exif_transpose(im)
            arr = _deep_to_rgb8(p, im) if im.mode in _DEEP_MODES else np.asarray(im.convert("RGB"))
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(p, "not an image file (unrecognised format)") from None
    except Image.DecompressionBombError as exc:
        raise ImageError(p, f"image exceeds the {max_pixels:,}-pixel limit (refused before decoding: {exc})") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(p, f"corrupt or truncated image data ({exc})") from None
    return arr


def check_image_file(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """``(width, height)`` of a readable image; decodes it fully to catch truncation.

    Raises :class:`ImageError` like :func:`read_rgb`.
    """
    img = read_rgb(path, max_pixels)
    return img.shape[1], img.shape[0]


def import_cv2():
    """Import OpenCV without letting it redirect Qt to its own plugin folder.

    opencv-python sets ``QT_QPA_PLATFORM_PLUGIN_PATH`` on import, which makes PySide6 load
    cv2's incompatible Qt plugins on a real display. We restore the variable afterwards.
    """
    key = "QT_QPA_PLATFORM_PLUGIN_PATH"
    saved = os.environ.get(key)
    import cv2

    if saved is None:
        os.environ.pop(key, None)
    else:
        os.environ[key] = saved
    return cv2


def resize_rgb(img: np.ndarray, hw: tuple[int, int]) -> np.ndarray:
    """Resize ``uint8 (H, W, 3)`` to ``uint8 (hw[0], hw[1], 3)`` with area/bilinear filtering."""
    cv2 = import_cv2()

    h, w = hw
    interp = cv2.INTER_AREA if img.shape[0] > h else cv2.INTER_LINEAR
    return cv2.resize(img, (w, h), interpolation=interp)


def load_crop(path: str | os.PathLike, hw: tuple[int, int]) -> np.ndarray:
    """Read and resize one crop to the network input size: ``uint8 (H, W, 3)`` RGB."""
    return resize_rgb(read_rgb(path), hw)
