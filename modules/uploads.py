"""Saving uploaded files to disk: safe names, chunked copies, a size limit."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import BinaryIO

from modules.errors import SceneFinderError
from modules.media import VIDEO_SUFFIXES

CHUNK = 8 << 20


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
    stem = stem[:120] or "video"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def save_upload(data: BinaryIO, name: str, folder: Path, max_bytes: int) -> Path:
    """Copy ``data`` to ``folder`` in chunks under a safe, unused name. Raises UploadRejected."""
    clean = safe_filename(name)
    if Path(clean).suffix.lower() not in VIDEO_SUFFIXES:
        raise UploadRejected(f"{name}: not a video file name (accepted: {', '.join(sorted(VIDEO_SUFFIXES))})")
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / clean
    n = 1
    while target.exists():
        target = folder / f"{Path(clean).stem}-{n}{Path(clean).suffix}"
        n += 1
    part = target.with_name(target.name + ".part")
    written = 0
    try:
        with open(part, "wb") as out:
            while chunk := data.read(CHUNK):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRejected(f"{name}: larger than the {max_bytes >> 20} MB upload limit; "
                                         f"put big files in a folder and ingest the folder instead")
                out.write(chunk)
        part.replace(target)
    finally:
        part.unlink(missing_ok=True)
    return target
