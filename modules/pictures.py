"""A picture a person gives (a still for "more like this", later a face to look for): bounded before
it is decoded.

A path that is not a regular file (``/dev/zero``, a pipe), a file over ``MAX_BYTES``, or a header
that announces more than ``MAX_PIXELS`` is refused with what to give instead, before any pixel is
decoded; a JPEG is decoded straight at a fraction of its size (libjpeg's scaled decode) and anything
larger than ``MAX_SIDE`` is shrunk, so memory stays a few tens of MB whatever is given.
"""

from __future__ import annotations

import io
import stat
from pathlib import Path

import numpy as np

from modules.errors import BadQuery

MAX_BYTES = 50 << 20  # a photo from a phone or a camera is under 20 MB
MAX_PIXELS = 100_000_000  # 100 megapixels: a panorama is fine, a decompression bomb is not
MAX_SIDE = 2048  # more than any image-text or face model looks at


class PictureRejected(BadQuery):
    """A picture that cannot be used; the message says what to give instead."""


def read_picture(path: Path) -> np.ndarray:
    """An RGB uint8 array (h, w, 3), at most MAX_SIDE on its long side. Raises PictureRejected."""
    path = Path(path)
    try:
        info = path.stat()
    except OSError as exc:
        raise PictureRejected(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(info.st_mode):
        raise PictureRejected(f"{path} is not a picture file (a folder, a device or a pipe); give a JPEG or PNG")
    if info.st_size == 0:
        raise PictureRejected(f"{path} is empty; give a JPEG or PNG")
    if info.st_size > MAX_BYTES:
        raise PictureRejected(f"{path} is {info.st_size / 2**20:.0f} MB; give a picture under "
                              f"{MAX_BYTES >> 20} MB (a screenshot or a resized photo)")
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)  # bounded even if the file grows while it is read
    except OSError as exc:
        raise PictureRejected(f"{path}: cannot read it ({exc.strerror or exc})") from exc
    if len(data) > MAX_BYTES:
        raise PictureRejected(f"{path} grew past {MAX_BYTES >> 20} MB while it was read")
    return decode_picture(data, path.name)


def decode_picture(data: bytes, name: str = "the picture") -> np.ndarray:
    """Bytes of a picture (an upload) as RGB, checked and shrunk as :func:`read_picture`."""
    from PIL import Image

    if len(data) > MAX_BYTES:
        raise PictureRejected(f"{name} is over {MAX_BYTES >> 20} MB; give a smaller picture")
    try:
        with Image.open(io.BytesIO(data)) as im:  # reads the header only
            w, h = im.size
            if w * h > MAX_PIXELS:
                raise PictureRejected(f"{name} is {w}x{h} pixels ({w * h / 1e6:.0f} megapixels); give a picture "
                                      f"of at most {MAX_PIXELS // 1_000_000} megapixels")
            im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decoded at 1/2, 1/4 or 1/8 of its size
            rgb = im.convert("RGB")
    except PictureRejected:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own guard, at open, above 179 megapixels
        raise PictureRejected(f"{name} announces more pixels than any photo ({exc}); give a picture of at most "
                              f"{MAX_PIXELS // 1_000_000} megapixels") from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise PictureRejected(f"{name} is not a picture that can be read ({exc}); give a JPEG or PNG") from exc
    if max(rgb.size) > MAX_SIDE:
        rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    return np.array(rgb)
