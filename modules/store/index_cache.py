"""The FAISS index of each space (the picture; each text model's vectors of a text channel): a cache
of the catalogue's vectors, kept on disk as ``index/<space>.faiss``.

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

from modules import faults
from modules.store.catalog import Catalog
from modules.channels import channel_of
from modules.errors import SceneFinderError
from modules.store.manifest import Manifest
from modules.store.vector_index import IndexFileDamaged, VectorIndex

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

    def path(self, space: str) -> Path:
        return self.folder / f"{space}.faiss"

    def spaces(self) -> list[str]:
        return list(dict.fromkeys(["visual", *self._manifest.spaces()]))

    def get(self, space: str) -> VectorIndex | None:
        """The space's index, caught up with the catalogue; None when the space has no model."""
        with self._lock:
            idx = self._indexes.get(space)
            if idx is not None and idx.info.generation == self._catalog.generation:
                return idx
            stamp = self._manifest.channel_stamp(space)
            if stamp is None or stamp.model is None:
                return None
            idx = self._load_or_build(space, stamp.dim)
            self._indexes[space] = idx
            return idx

    def mark_changed(self, names=None) -> None:
        """Spaces, or whole channels by name, whose caches are to be saved; all when None."""
        self._dirty.update(self.spaces() if names is None else names)

    def forget(self, space: str) -> None:
        with self._lock:
            self._indexes.pop(space, None)
            self._dirty.add(space)

    def _load_or_build(self, space: str, dim: int) -> VectorIndex:
        gen = self._catalog.generation
        # rows of a channel removed (a video removed) or a space re-embedded: the index is rebuilt
        channel = channel_of(space).name
        rebuild_gen = max(self._catalog.rebuild_generation(space), self._catalog.rebuild_generation(channel))
        idx = self._indexes.get(space)
        path = self.path(space)
        if idx is None and path.exists():
            try:
                idx = VectorIndex.load(path)
            except (OSError, IndexFileDamaged, RuntimeError) as exc:  # faiss raises RuntimeError on bad data
                log.warning("index %s unusable (%s); rebuilding it from the catalogue", path.name, exc)
                idx = None
        if idx is not None and (idx.info.rebuild_gen != rebuild_gen or idx.info.dim != dim):
            idx = None
        if idx is None:
            ids, vecs = self._catalog.vectors(space, dim)
            idx = VectorIndex.build(ids, vecs, self.exact_max) if len(ids) else VectorIndex.empty(dim)
            self._dirty.add(space)
        elif idx.info.generation != gen:
            ids, vecs = self._catalog.vectors(space, dim, after_id=idx.info.max_id)
            idx.add(ids, vecs)
            self._dirty.add(space)
        # The writer picks the index kind (and records it); a reader uses what it finds.
        if self.writable and idx.needs_rebuild(self.exact_max):
            ids, vecs = self._catalog.vectors(space, dim)
            idx = VectorIndex.build(ids, vecs, self.exact_max)
            self._dirty.add(space)
        idx.info.generation = gen
        idx.info.rebuild_gen = rebuild_gen
        return idx

    def check_all(self) -> None:
        """Writers: load (and so verify) every space's cache; what was rebuilt is saved by :meth:`save`."""
        for space in self.spaces():
            self.get(space)

    def save(self) -> list[str]:
        """Write the indexes that changed. A write that fails (a full disk) keeps the old file and is
        returned as a warning: the catalogue is the truth and the next open catches up."""
        if not self.writable:
            return []
        problems = []
        for space in self.spaces():
            if space not in self._dirty and channel_of(space).name not in self._dirty:
                continue
            idx = self.get(space)
            if idx is None:
                continue
            try:
                idx.save(self.path(space))
                faults.point("index-saved")
                self._manifest.record_index(space, {
                    "kind": idx.info.kind, "count": idx.info.count, "nlist": idx.info.nlist,
                    "nprobe": idx.info.nprobe, "recall_at_10": round(idx.info.recall_at_10, 4),
                })
            except (OSError, SceneFinderError) as exc:
                problems.append(f"index {space} not saved ({exc}); it is rebuilt from the catalogue on next use")
                log.warning(problems[-1])
        self._dirty.clear()
        return problems
