"""The FAISS index of each channel: a cache of the catalogue's vectors, kept on disk.

Each index file records the catalogue generation it reflects and a checksum of its
contents. On use an index is checked: a file that is missing, damaged, made for
another dimension or from before a removal is rebuilt from the catalogue; one that is
only behind (a killed ingest) is caught up with the rows added since. Writers save
what they rebuilt, so a repaired cache is written back, not rebuilt on every open.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from modules.catalog import Catalog
from modules.channels import CHANNELS, get
from modules.errors import SceneFinderError
from modules.manifest import Manifest
from modules.vector_index import IndexFileDamaged, VectorIndex

log = logging.getLogger(__name__)


class IndexCaches:
    def __init__(self, catalog: Catalog, manifest: Manifest, folder: Path, exact_max: int, writable: bool):
        self._catalog = catalog
        self._manifest = manifest
        self.folder = Path(folder)
        self.exact_max = exact_max  # indexes above this many vectors are approximate (IVF)
        self.writable = writable
        self._indexes: dict[str, VectorIndex] = {}
        self._lock = threading.RLock()  # the app shares one library between its sessions
        self._dirty: set[str] = set()

    def path(self, channel: str) -> Path:
        return self.folder / f"{channel}.faiss"

    def get(self, channel: str) -> VectorIndex | None:
        """The channel's index, caught up with the catalogue; None when the channel has no model."""
        with self._lock:
            idx = self._indexes.get(channel)
            if idx is not None and idx.info.generation == self._catalog.generation:
                return idx
            stamp = self._manifest.channel_stamp(channel)
            if stamp is None or stamp.model is None:
                return None
            idx = self._load_or_build(channel, stamp.dim)
            self._indexes[channel] = idx
            return idx

    def mark_changed(self, channels=CHANNELS) -> None:
        self._dirty.update(channels)

    def forget(self, channel: str) -> None:
        with self._lock:
            self._indexes.pop(channel, None)
            self._dirty.add(channel)

    def _load_or_build(self, channel: str, dim: int) -> VectorIndex:
        gen = self._catalog.generation
        rebuild_gen = self._catalog.rebuild_generation(channel)
        spec = get(channel)
        idx = self._indexes.get(channel)
        path = self.path(channel)
        if idx is None and path.exists():
            try:
                idx = VectorIndex.load(path)
            except (OSError, IndexFileDamaged, RuntimeError) as exc:  # faiss raises RuntimeError on bad data
                log.warning("index %s unusable (%s); rebuilding it from the catalogue", path.name, exc)
                idx = None
        if idx is not None and (idx.info.rebuild_gen != rebuild_gen or idx.info.dim != dim):
            idx = None
        if idx is None:
            ids, vecs = self._catalog.vectors(spec, dim)
            idx = VectorIndex.build(ids, vecs, self.exact_max) if len(ids) else VectorIndex.empty(dim)
            self._dirty.add(channel)
        elif idx.info.generation != gen:
            ids, vecs = self._catalog.vectors(spec, dim, after_id=idx.info.max_id)
            idx.add(ids, vecs)
            self._dirty.add(channel)
        # The writer picks the index kind (and records it); a reader uses what it finds.
        if self.writable and idx.needs_rebuild(self.exact_max):
            ids, vecs = self._catalog.vectors(spec, dim)
            idx = VectorIndex.build(ids, vecs, self.exact_max)
            self._dirty.add(channel)
        idx.info.generation = gen
        idx.info.rebuild_gen = rebuild_gen
        return idx

    def check_all(self) -> None:
        """Writers: load (and so verify) every channel's cache; what was rebuilt is saved by :meth:`save`."""
        for channel in CHANNELS:
            self.get(channel)

    def save(self) -> list[str]:
        """Write the indexes that changed. A write that fails (a full disk) keeps the old file and is
        returned as a warning: the catalogue is the truth and the next open catches up."""
        if not self.writable:
            return []
        problems = []
        for channel in CHANNELS:
            if channel not in self._dirty:
                continue
            idx = self.get(channel)
            if idx is None:
                continue
            try:
                idx.save(self.path(channel))
                self._manifest.record_index(channel, {
                    "kind": idx.info.kind, "count": idx.info.count, "nlist": idx.info.nlist,
                    "nprobe": idx.info.nprobe, "recall_at_10": round(idx.info.recall_at_10, 4),
                })
            except (OSError, SceneFinderError) as exc:
                problems.append(f"index {channel} not saved ({exc}); it is rebuilt from the catalogue on next use")
                log.warning(problems[-1])
        self._dirty.clear()
        return problems
