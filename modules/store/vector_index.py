"""A FAISS index of L2-normalised vectors keyed by catalogue row ids.

Inner product on normalised vectors is cosine similarity. Small indexes are
exact (``IndexFlatIP``); above ``exact_max`` vectors an ``IndexIVFFlat`` is
built and its ``nprobe`` raised until recall@10 against exact search reaches
``target_recall`` on a sample, measured at build time and recorded.

Files hold a JSON header and the serialised index in one file, written to a
temporary name and renamed, so a reader sees the old or the new, never half. The
header carries the payload's length and CRC-32: a file damaged on disk is refused
at load (and rebuilt from the catalogue) instead of failing every search later.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

TARGET_RECALL = 0.97  # margin over the 0.95 we promise
NPROBE_STEPS = (4, 8, 16, 32, 64, 128, 256, 512)


@dataclass
class IndexInfo:
    kind: str = "flat"  # "flat" or "ivf"
    dim: int = 0
    count: int = 0
    max_id: int = 0
    generation: int = 0
    rebuild_gen: int = 0
    nlist: int = 0
    nprobe: int = 0
    trained_on: int = 0
    recall_at_10: float = 1.0


class IndexFileDamaged(ValueError):
    """An index file that does not match its own header: rebuilt from the catalogue."""


class VectorIndex:
    def __init__(self, index, info: IndexInfo):
        self._index = index
        self.info = info

    # --- construction -------------------------------------------------------
    @classmethod
    def empty(cls, dim: int) -> "VectorIndex":
        import faiss

        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), IndexInfo(kind="flat", dim=dim))

    @classmethod
    def build(cls, ids: np.ndarray, vecs: np.ndarray, exact_max: int, seed: int = 0) -> "VectorIndex":
        """ids: (n,) int64; vecs: (n, d) float32 normalised. Flat up to ``exact_max``, else IVF."""
        n, d = vecs.shape
        if n <= exact_max:
            idx = cls.empty(d)
            idx.add(ids, vecs)
            return idx
        return cls._build_ivf(ids, vecs, seed)

    @classmethod
    def _build_ivf(cls, ids: np.ndarray, vecs: np.ndarray, seed: int) -> "VectorIndex":
        import faiss

        n, d = vecs.shape
        nlist = int(min(65536, max(64, 4 * np.sqrt(n))))
        rng = np.random.default_rng(seed)
        train = vecs[rng.choice(n, size=min(n, 40 * nlist), replace=False)]
        quantizer = faiss.IndexFlatIP(d)
        ivf = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
        ivf.train(np.ascontiguousarray(train))
        ivf.add_with_ids(np.ascontiguousarray(vecs), ids.astype(np.int64))
        nprobe, recall = _tune_nprobe(ivf, ids, vecs, rng)
        ivf.nprobe = nprobe
        info = IndexInfo(
            kind="ivf", dim=d, count=n, max_id=int(ids.max()), nlist=nlist, nprobe=nprobe,
            trained_on=n, recall_at_10=recall,
        )
        return cls(ivf, info)

    # --- use ---------------------------------------------------------------
    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        if len(ids) == 0:
            return
        self._index.add_with_ids(np.ascontiguousarray(vecs, dtype=np.float32), np.asarray(ids, dtype=np.int64))
        self.info.count = int(self._index.ntotal)
        self.info.max_id = max(self.info.max_id, int(np.max(ids)))

    def search(
        self, query: np.ndarray, k: int, allowed_ids: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """query: (d,) or (m, d) float32 -> (scores (m, k'), ids (m, k')), k' <= k; missing ids are -1.

        ``allowed_ids`` restricts the search to those row ids (filters), exactly.
        """
        import faiss

        q = np.ascontiguousarray(np.atleast_2d(query), dtype=np.float32)
        k = min(k, int(self._index.ntotal))
        if k == 0:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        if allowed_ids is None:
            return self._index.search(q, k)
        sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed_ids, dtype=np.int64))
        if self.info.kind == "ivf":
            params = faiss.SearchParametersIVF(sel=sel, nprobe=self.info.nprobe)
        else:
            params = faiss.SearchParameters(sel=sel)
        return self._index.search(q, k, params=params)

    @property
    def ntotal(self) -> int:
        return int(self._index.ntotal)

    def needs_rebuild(self, exact_max: int) -> bool:
        """Flat grown past the exact limit, or IVF grown 4x past what it was trained on."""
        if self.info.kind == "flat":
            return self.ntotal > exact_max
        return self.ntotal > 4 * max(1, self.info.trained_on)

    # --- files -------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically; on failure (a full disk) the old file stays and no temporary is left."""
        import faiss

        path.parent.mkdir(parents=True, exist_ok=True)
        data = faiss.serialize_index(self._index)
        header = json.dumps({**asdict(self.info), "payload_bytes": int(data.nbytes),
                             "crc32": zlib.crc32(memoryview(data))}).encode()
        tmp = path.with_suffix(path.suffix + ".tmp")
        try:
            with open(tmp, "wb") as f:
                f.write(struct.pack("<Q", len(header)))
                f.write(header)
                f.write(memoryview(data))
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
            raise

    @classmethod
    def load(cls, path: Path) -> "VectorIndex":
        """Raises IndexFileDamaged when the file is not what its header says it is."""
        import faiss

        with open(path, "rb") as f:
            raw = f.read(8)
            if len(raw) != 8:
                raise IndexFileDamaged(f"{path.name}: truncated header")
            (n,) = struct.unpack("<Q", raw)
            if n > 1 << 16:
                raise IndexFileDamaged(f"{path.name}: header length {n} is not plausible")
            try:
                head = json.loads(f.read(n))
                size, crc = int(head.pop("payload_bytes")), int(head.pop("crc32"))
                info = IndexInfo(**head)
            except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
                raise IndexFileDamaged(f"{path.name}: unreadable header ({exc})") from exc
            data = np.frombuffer(f.read(), dtype=np.uint8)
        if data.nbytes != size or zlib.crc32(memoryview(data)) != crc:
            raise IndexFileDamaged(f"{path.name}: contents do not match their checksum")
        index = faiss.deserialize_index(data)
        if index.d != info.dim or index.ntotal != info.count:
            raise IndexFileDamaged(f"{path.name}: index shape does not match its header")
        if info.kind == "ivf":
            faiss.extract_index_ivf(index).nprobe = info.nprobe
        return cls(index, info)


def _tune_nprobe(
    ivf, ids: np.ndarray, vecs: np.ndarray, rng: np.random.Generator, n_queries: int = 200
) -> tuple[int, float]:
    """Smallest nprobe whose recall@10 vs exact search reaches TARGET_RECALL on perturbed stored vectors."""
    import faiss

    n, d = vecs.shape
    q = vecs[rng.choice(n, size=min(n_queries, n), replace=False)]
    q = q + rng.normal(scale=0.5 / np.sqrt(d), size=q.shape).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    q = np.ascontiguousarray(q, dtype=np.float32)
    _, truth_pos = faiss.knn(q, vecs, 10, metric=faiss.METRIC_INNER_PRODUCT)
    truth = ids[truth_pos]
    recall = 0.0
    for nprobe in NPROBE_STEPS:
        if nprobe > ivf.nlist:
            break
        ivf.nprobe = nprobe
        _, got = ivf.search(q, 10)
        recall = recall_at_k(truth, got)
        if recall >= TARGET_RECALL:
            return nprobe, recall
    return ivf.nprobe, recall


def recall_at_k(truth_ids: np.ndarray, got_ids: np.ndarray) -> float:
    """Fraction of the exact top-k ids (m, k) that the approximate search (m, k) also returned."""
    hits = sum(len(set(t.tolist()) & set(g.tolist())) for t, g in zip(truth_ids, got_ids))
    return hits / truth_ids.size
