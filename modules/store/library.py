"""The local library: a folder with the catalogue, the index caches and the thumbnails.

Layout under ``db_dir``::

    catalog.sqlite      the truth: videos, shots, keyframes, channel rows, vectors, manifest (catalog.py)
    index/<space>.faiss caches of the catalogue's vectors, one a space (index_cache.py)
    thumbs/<fingerprint>/<n>.jpg
    manifest.json       a readable copy of the manifest (manifest.py)

SQLite holds every vector, so a kill at any moment leaves a library that opens and
answers: caches that are behind are caught up, damaged ones rebuilt. One writer at a
time holds ``.write.lock``; readers never write, so a read-only library can be searched.
Whatever the catalogue says, files are only ever read or deleted inside ``db_dir``.

:class:`Library` is the store's one door: the rest of the engine reads and writes through it
(``reads.py`` holds its questions), never through the catalogue.
"""

from __future__ import annotations

import fcntl
import logging
import re
import shutil
from pathlib import Path
from typing import Iterator

import numpy as np

from modules import faults
from modules.store.catalog import Catalog
from modules.channels import Channel, Produced, channel_of
from modules.errors import LibraryMissing, LibraryReadOnly, SceneFinderError
from modules.store.index_cache import IndexCaches
from modules.store.manifest import ChannelStamp, Manifest
from modules.schema import VideoResult
from modules.store.people import PeopleDoor
from modules.store.reads import LibraryReads

log = logging.getLogger(__name__)

_FINGERPRINT = re.compile(r"^[0-9a-f]{32}$")


class Library(LibraryReads, PeopleDoor):
    """Open with :meth:`open`; its catalogue, ``manifest`` and ``indexes`` are its parts."""

    def __init__(self, db_dir: Path, catalog: Catalog, exact_max: int, writable: bool, lock_file=None):
        self.db_dir = Path(db_dir)
        self._catalog = catalog
        self.manifest = Manifest(catalog, self.db_dir)
        self.indexes = IndexCaches(catalog, self.manifest, self.db_dir / "index", exact_max, writable)
        self.writable = writable
        self._lock_file = lock_file
        self.warnings: list[str] = []  # what closing could not do (a full disk), for the caller to report

    # --- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, db_dir: Path, *, create: bool = False, writable: bool = False,
             exact_max: int | None = None) -> "Library":
        db_dir = Path(db_dir)
        path = db_dir / "catalog.sqlite"
        writable = writable or create
        if not path.exists():
            if not create:
                raise LibraryMissing(
                    f"no library at {db_dir}/ yet; add videos with: python main.py ingest PATH --db {db_dir}"
                )
            try:
                db_dir.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise SceneFinderError(f"cannot create the library folder {db_dir}/ ({exc})") from exc
        if exact_max is None:
            from modules.settings import Settings

            exact_max = Settings().exact_index_max
        lock = _take_lock(db_dir) if writable else None
        try:
            catalog = Catalog.open(path, writable=writable)
        except BaseException:
            if lock:
                lock.close()
            raise
        lib = cls(db_dir, catalog, exact_max, writable, lock)
        if writable:
            lib.manifest.export()  # a damaged or deleted readable copy is rewritten
        return lib

    def close(self) -> None:
        try:
            if self.writable:
                self.warnings.extend(self.indexes.save())
        finally:
            self._catalog.close()
            if self._lock_file:
                self._lock_file.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def check_models(self, stamps: dict[str, ChannelStamp], *, for_write: bool) -> list[str]:
        return self.manifest.check_models(stamps, for_write=for_write)

    # --- writes ------------------------------------------------------------------------
    def add_video(self, result: VideoResult, replace_id: int | None = None) -> int:
        """Commit one video; returns its id (never reused). Thumbnails are written first and
        removed again when the commit fails; an orphan left by a kill is swept by the next writer."""
        self._need_write()
        folder = self._thumb_folder(result.fingerprint)
        if folder is None:
            raise SceneFinderError(f"refusing a video with a malformed fingerprint {result.fingerprint!r}")
        thumbs = [f"thumbs/{result.fingerprint}/{i}.jpg" for i in range(len(result.keyframes))]
        has_jpegs = any(kf.jpeg for kf in result.keyframes)  # empty only in synthetic benchmark libraries
        wrote = has_jpegs and not folder.exists()
        try:
            if has_jpegs:
                folder.mkdir(parents=True, exist_ok=True)
                for rel, kf in zip(thumbs, result.keyframes):
                    if kf.jpeg:
                        (self.db_dir / rel).write_bytes(kf.jpeg)
            faults.point("thumbs-written")
            vid = self._catalog.insert_video(result, thumbs, replace_id, spaces=self.spaces())
            faults.point("committed")
        except BaseException:
            if wrote:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        self.indexes.mark_changed()
        return vid

    def remove_video(self, video_id: int) -> None:
        self._need_write()
        row = self._catalog.video(video_id)
        if row is None:
            raise SceneFinderError(f"no video with id {video_id} in the library; see: python main.py library")
        self._catalog.delete_video(video_id)
        self.indexes.mark_changed()
        folder = self._thumb_folder(row["fingerprint"])
        if folder is None:
            log.warning("video %s had a malformed fingerprint; no thumbnail folder removed", video_id)
        elif row["fingerprint"] not in self._catalog.fingerprints():
            shutil.rmtree(folder, ignore_errors=True)

    def add_rows(self, channel: Channel, video_id: int, produced: Produced) -> None:
        """A channel's rows of a video already in the library (``reindex --ocr``), in one transaction."""
        self._need_write()
        self._catalog.add_rows(channel, video_id, produced, self.spaces(channel.name))
        self.indexes.mark_changed([channel.name])

    def update_path(self, video_id: int, path: Path) -> None:
        """A video moved or touched (same content): its path follows."""
        self._need_write()
        self._catalog.update_path(video_id, path)

    def set_captions(self, items: list[tuple[int, str, str]], vectors: dict[str, np.ndarray]) -> None:
        """items: (shot_id, caption, caption_en); ``vectors``: text model key -> (len(items), d)."""
        self._need_write()
        self._catalog.set_captions(items, vectors, self.text_spaces("caption"))
        self.indexes.mark_changed(["caption"])

    def replace_vectors(self, space: str, items: Iterator[tuple[int, np.ndarray | None]], stamp: ChannelStamp) -> None:
        """Re-embedding (reindex): every row's vector of ``space`` and its manifest stamp, in one transaction."""
        self._need_write()
        with self._catalog.transaction():
            if channel_of(space).is_text:
                self._catalog.drop_space(space)
            self._catalog.set_vectors(space, items)
            self.manifest.set_channel(space, stamp)
            self._catalog.bump(rebuild=[space])
        self.manifest.export()
        self.indexes.forget(space)

    def drop_space(self, space: str) -> None:
        """A text model the library no longer keeps: its vectors, stamp and index file go."""
        self._need_write()
        with self._catalog.transaction():
            self._catalog.drop_space(space)
            self.manifest.set_channel(space, None)
            self._catalog.bump(rebuild=[space])
        self.manifest.export()
        self.indexes.forget(space)
        self.indexes.path(space).unlink(missing_ok=True)

    def repair(self) -> None:
        """Writers: verify every index cache now (rebuilt ones are saved on close) and sweep
        thumbnail folders that no video owns."""
        self.indexes.check_all()
        known = {self.indexes.path(space).name for space in self.indexes.spaces()}
        if self.indexes.folder.is_dir():  # caches of spaces the library no longer has (a library from before spaces)
            for f in self.indexes.folder.glob("*.faiss"):
                if f.name not in known and not f.is_symlink():
                    f.unlink(missing_ok=True)
        swept = self.sweep_orphans()
        if swept:
            log.info("removed %d thumbnail folder(s) left by an interrupted run", swept)

    def save_indexes(self) -> None:
        self.warnings.extend(self.indexes.save())

    def sweep_orphans(self) -> int:
        """Remove thumbnail folders no video row points to (left by a killed ingest)."""
        known = self._catalog.fingerprints()
        thumbs = self.db_dir / "thumbs"
        removed = 0
        if thumbs.is_dir() and not thumbs.is_symlink():
            for d in thumbs.iterdir():
                if d.name in known or d.is_symlink() or not d.is_dir():
                    continue
                shutil.rmtree(d, ignore_errors=True)
                removed += 1
        return removed

    # --- helpers -----------------------------------------------------------------------
    def _need_write(self) -> None:
        if not self.writable:
            raise LibraryReadOnly(f"the library in {self.db_dir}/ was opened for reading only")

    def _thumb_folder(self, fingerprint: str) -> Path | None:
        if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
            return None
        return _inside(self.db_dir / "thumbs", self.db_dir / "thumbs" / fingerprint)


def _inside(root: Path, path: Path) -> Path | None:
    """``path`` when it resolves to somewhere under ``root`` (symlinks followed), else None."""
    try:
        real_root = root.resolve()
        real = path.resolve()
    except (OSError, RuntimeError):
        return None
    return path if real != real_root and real.is_relative_to(real_root) else None


def _take_lock(db_dir: Path):
    try:
        lock_file = open(db_dir / ".write.lock", "w")
    except OSError as exc:
        raise LibraryReadOnly(
            f"cannot write to the library folder {db_dir}/ ({exc.strerror}); searching it works, "
            f"adding or removing videos needs write access"
        ) from exc
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        lock_file.close()
        raise SceneFinderError(
            f"another ingest is writing to {db_dir}/ right now; wait for it to finish"
        ) from exc
    return lock_file
