"""Saving uploaded files to disk: safe names, chunked copies, a size limit."""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from modules.errors import SceneFinderError
from modules.media import VIDEO_SUFFIXES

CHUNK = 8 << 20
# room left under the usual 255-byte limit for the '-N' a clash adds and '.part' files
MAX_NAME_BYTES = 200


class UploadRejected(SceneFinderError):
    pass


def safe_filename(name: str) -> str:
    """A file name with no folders, no control or reserved characters, letters of any script kept.

    ``../../etc/passwd`` -> ``passwd``; ``영화 장면.mp4`` stays as it is.
    """
    name = unicodedata.normalize("NFC", name).replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r'[<>:"|?*]', "_", name).strip(" .")
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = suffix.lower()[:16]
    # File systems limit a name to 255 bytes, not characters: '가' is 3 bytes in UTF-8.
    budget = MAX_NAME_BYTES - len(suffix.encode()) - 1
    stem = stem.encode()[:budget].decode("utf-8", "ignore").strip(" .") or "video"
    return f"{stem}.{suffix}" if suffix else stem


def save_upload(data: BinaryIO, name: str, folder: Path, max_bytes: int) -> Path:
    """Copy ``data`` to ``folder`` in chunks under a safe, unused name. Raises UploadRejected.

    Two uploads of one name at the same time each get their own temporary file and their
    own final name (reserved atomically), so neither can overwrite or report the other's bytes.
    """
    clean = safe_filename(name)
    if Path(clean).suffix.lower() not in VIDEO_SUFFIXES:
        raise UploadRejected(f"{name}: not a video file name (accepted: {', '.join(sorted(VIDEO_SUFFIXES))})")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _reserve(folder, clean)
    except OSError as exc:
        raise UploadRejected(f"{name}: cannot be saved in {folder}/ ({exc.strerror or exc})") from exc
    written = 0
    part = None
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".upload-", suffix=".part", delete=False) as out:
            part = Path(out.name)
            while chunk := data.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRejected(f"{name}: larger than the {max_bytes >> 20} MB upload limit; "
                                         f"put big files in a folder and ingest the folder instead")
                out.write(chunk)
        os.replace(part, target)
        part = None
    except OSError as exc:
        raise UploadRejected(f"{name}: could not be saved ({exc.strerror or exc}); nothing was kept") from exc
    finally:
        if part is not None:
            part.unlink(missing_ok=True)
            target.unlink(missing_ok=True)  # the reservation
    return target


def _reserve(folder: Path, clean: str) -> Path:
    """Create an empty file under ``clean`` or ``stem-N.ext``, whichever is free first (O_EXCL)."""
    stem, suffix = Path(clean).stem, Path(clean).suffix
    for n in range(10_000):
        target = folder / (clean if n == 0 else f"{stem}-{n}{suffix}")
        try:
            os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return target
        except FileExistsError:
            continue
    raise UploadRejected(f"{clean}: too many files of this name in {folder}/")
