"""The local library: a SQLite catalogue plus one FAISS index per search channel.

SQLite is the source of truth and holds every vector as a float32 blob; the
FAISS files under ``index/`` are caches derived from it. Each commit bumps a
generation number; an index file records the generation it reflects, and one
that is behind (the process was killed before saving it) is caught up from
SQLite when the library is opened. So a kill at any moment leaves a library
that opens and answers, and the next ingest finishes the job.

Layout under ``db_dir``::

    catalog.sqlite      videos, shots, keyframes, segments, meta (the manifest)
    index/<channel>.faiss
    thumbs/<fingerprint>/<n>.jpg
    manifest.json       a readable copy of the manifest
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from modules.errors import LibraryMismatch, LibraryMissing, SceneFinderError
from modules.schema import VideoResult
from modules.vector_index import VectorIndex

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CHANNELS = ("visual", "dialogue", "caption")
# channel -> (table, vector column)
CHANNEL_ROWS = {"visual": ("keyframes", "vec"), "dialogue": ("segments", "vec"), "caption": ("shots", "caption_vec")}
# which model family embeds each channel
CHANNEL_MODEL = {"visual": "visual", "dialogue": "text", "caption": "text"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS videos (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL UNIQUE,
    size_bytes INTEGER, mtime REAL,
    duration_s REAL, fps REAL, width INTEGER, height INTEGER, has_audio INTEGER,
    language TEXT, warnings TEXT, added_at REAL
);
CREATE INDEX IF NOT EXISTS videos_path ON videos(path);
CREATE TABLE IF NOT EXISTS shots (
    id INTEGER PRIMARY KEY,
    video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, start_s REAL NOT NULL, end_s REAL NOT NULL,
    caption TEXT, caption_en TEXT, caption_vec BLOB
);
CREATE INDEX IF NOT EXISTS shots_video ON shots(video_id, idx);
CREATE TABLE IF NOT EXISTS keyframes (
    id INTEGER PRIMARY KEY,
    shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    time_s REAL NOT NULL, thumb TEXT NOT NULL, vec BLOB
);
CREATE INDEX IF NOT EXISTS keyframes_shot ON keyframes(shot_id);
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY,
    shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    start_s REAL NOT NULL, end_s REAL NOT NULL, text TEXT NOT NULL, language TEXT, vec BLOB,
    norm TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS segments_shot ON segments(shot_id);
-- dialogue normalised for quote matching (case, width, spacing and punctuation removed)
CREATE VIRTUAL TABLE IF NOT EXISTS segments_fts USING fts5(
    norm, tokenize='trigram', content='segments', content_rowid='id');
"""


def normalize_for_match(text: str) -> str:
    """NFKC, case-folded, with spaces and punctuation removed: "Gryffindor!" == "gryffindor",
    "그리핀 도르" == "그리핀도르"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


@dataclass(frozen=True)
class ChannelStamp:
    """What made a channel's vectors: model identity (None = channel off), dimension."""

    model: str | None
    dim: int
    normalized: bool = True
    note: str = ""

    def to_json(self) -> dict:
        return {"model": self.model, "dim": self.dim, "normalized": self.normalized, "note": self.note}


def _blob(v: np.ndarray | None) -> bytes | None:
    return None if v is None else np.ascontiguousarray(v, dtype=np.float32).tobytes()


class Library:
    """Open with :meth:`open`. Reads are safe alongside one writer (WAL); writes take a lock."""

    def __init__(self, db_dir: Path, conn: sqlite3.Connection, writable: bool, exact_max: int):
        self.db_dir = Path(db_dir)
        self.exact_max = exact_max  # indexes above this many vectors are approximate (IVF)
        self._conn = conn
        self.writable = writable
        self._indexes: dict[str, VectorIndex] = {}
        self._index_lock = threading.RLock()
        self._lock_file = None
        self._dirty: set[str] = set()

    # --- opening -------------------------------------------------------------
    @classmethod
    def open(cls, db_dir: Path, *, create: bool = False, writable: bool = False,
             exact_max: int | None = None) -> "Library":
        db_dir = Path(db_dir)
        path = db_dir / "catalog.sqlite"
        if not path.exists():
            if not create:
                raise LibraryMissing(
                    f"no library at {db_dir}/ yet; add videos with: python main.py ingest PATH --db {db_dir}"
                )
            db_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if exact_max is None:
            from modules.settings import Settings

            exact_max = Settings().exact_index_max
        lib = cls(db_dir, conn, writable or create, exact_max)
        if lib.writable:
            lib._take_lock()
            conn.executescript(_SCHEMA)
        elif not conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone():
            raise LibraryMissing(f"{path} is not a Scene Finder library (no catalogue tables)")
        return lib

    def _take_lock(self) -> None:
        self._lock_file = open(self.db_dir / ".write.lock", "w")
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise SceneFinderError(
                f"another ingest is writing to {self.db_dir}/ right now; wait for it to finish"
            ) from exc

    def close(self) -> None:
        if self.writable:
            self.save_indexes()
        self._conn.close()
        if self._lock_file:
            self._lock_file.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- meta and manifest -----------------------------------------------------
    def _meta(self, key: str, default=None):
        row = self._conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def _set_meta(self, key: str, value) -> None:
        self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, json.dumps(value)))

    @property
    def manifest(self) -> dict:
        return self._meta("manifest", {})

    @property
    def generation(self) -> int:
        return int(self._meta("generation", 0))

    def channel_stamp(self, channel: str) -> ChannelStamp | None:
        c = self.manifest.get("channels", {}).get(channel)
        return None if c is None else ChannelStamp(c["model"], c["dim"], c.get("normalized", True), c.get("note", ""))

    def check_models(self, stamps: dict[str, ChannelStamp], *, for_write: bool) -> list[str]:
        """Compare the configured models with the ones that built the library.

        For writing, any difference is refused (vectors of two models in one index
        are meaningless). For reading, a channel whose model is not available now is
        switched off with a warning; a different model is refused. Returns warnings.
        On a new library, records the stamps as its manifest.
        """
        manifest = self.manifest
        if not manifest.get("channels"):
            if for_write:
                self._write_manifest({ch: st.to_json() for ch, st in stamps.items()})
            return []
        warnings = []
        for channel, want in stamps.items():
            have = self.channel_stamp(channel)
            if have is None or (have.model == want.model and have.dim == want.dim):
                continue
            if not for_write and want.model is None:
                warnings.append(f"{channel} channel off: {want.note or 'its model is not available here'}")
                continue
            if not for_write and have.model is None:
                continue  # library has no vectors for it: nothing to compare against
            raise LibraryMismatch(
                f"the library in {self.db_dir}/ was built with {channel} model {have.model or 'none'} "
                f"(dim {have.dim}); the configured one is {want.model or 'none'}"
                f"{' (' + want.note + ')' if want.note else ''}. "
                f"Run: python main.py reindex --db {self.db_dir}   to re-embed the library with the configured models, "
                f"or configure the library's models."
            )
        return warnings

    def _write_manifest(self, channels: dict) -> None:
        manifest = self.manifest
        manifest.update(
            schema=SCHEMA_VERSION,
            created_at=manifest.get("created_at", time.time()),
            channels=channels,
        )
        self._set_meta("manifest", manifest)
        self._export_manifest(manifest)

    def _export_manifest(self, manifest: dict) -> None:
        tmp = self.db_dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False))
        os.replace(tmp, self.db_dir / "manifest.json")

    # --- reads -------------------------------------------------------------------
    def find_fingerprint(self, fingerprint: str) -> sqlite3.Row | None:
        return self._conn.execute("SELECT * FROM videos WHERE fingerprint=?", (fingerprint,)).fetchone()

    def find_path(self, path: Path) -> sqlite3.Row | None:
        return self._conn.execute("SELECT * FROM videos WHERE path=?", (str(path),)).fetchone()

    def videos(self) -> list[sqlite3.Row]:
        return self._conn.execute(
            """SELECT v.*, (SELECT count(*) FROM shots s WHERE s.video_id=v.id) AS n_shots,
                      (SELECT count(*) FROM segments g JOIN shots s ON g.shot_id=s.id WHERE s.video_id=v.id) AS n_segments,
                      (SELECT count(*) FROM shots s WHERE s.video_id=v.id AND s.caption IS NOT NULL) AS n_captions
               FROM videos v ORDER BY v.name, v.id"""
        ).fetchall()

    def describe(self, video_id: int) -> dict:
        """A video with its shots (keyframe times, caption) and dialogue, as plain data."""
        v = self._conn.execute("SELECT * FROM videos WHERE id=?", (video_id,)).fetchone()
        shots = []
        for s in self._conn.execute("SELECT * FROM shots WHERE video_id=? ORDER BY idx", (video_id,)):
            kfs = self._conn.execute("SELECT time_s FROM keyframes WHERE shot_id=? ORDER BY time_s", (s["id"],))
            shot = {"start_s": round(s["start_s"], 3), "end_s": round(s["end_s"], 3),
                    "keyframes_s": [round(k["time_s"], 3) for k in kfs]}
            if s["caption"]:
                shot["caption"] = s["caption"]
            shots.append(shot)
        dialogue = [
            {"start_s": round(g["start_s"], 3), "end_s": round(g["end_s"], 3), "text": g["text"], "shot": g["idx"]}
            for g in self._conn.execute(
                """SELECT g.*, s.idx FROM segments g JOIN shots s ON g.shot_id=s.id
                   WHERE s.video_id=? ORDER BY g.start_s""",
                (video_id,),
            )
        ]
        return {
            "id": v["id"], "path": v["path"], "name": v["name"], "duration_s": round(v["duration_s"], 3),
            "fps": v["fps"], "width": v["width"], "height": v["height"], "language": v["language"] or "",
            "warnings": json.loads(v["warnings"] or "[]"), "shots": shots, "dialogue": dialogue,
        }

    def count(self, table: str) -> int:
        assert table in {"videos", "shots", "keyframes", "segments"}
        return int(self._conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    def rows(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        """Read-only SQL for the search module (hit details for a few ids)."""
        return self._conn.execute(sql, params).fetchall()

    # --- writes ------------------------------------------------------------------
    def add_video(self, result: VideoResult, replace_id: int | None = None) -> int:
        """Commit one video's rows and vectors in one transaction; returns its id.

        Thumbnails are written first (an orphan after a kill is swept later);
        ``replace_id`` removes an earlier version of the same file in the same transaction.
        """
        assert self.writable
        if any(kf.jpeg for kf in result.keyframes):
            (self.db_dir / "thumbs" / result.fingerprint).mkdir(parents=True, exist_ok=True)
        thumbs = []
        for i, kf in enumerate(result.keyframes):
            rel = f"thumbs/{result.fingerprint}/{i}.jpg"
            if kf.jpeg:  # empty only in synthetic benchmark libraries
                (self.db_dir / rel).write_bytes(kf.jpeg)
            thumbs.append(rel)
        info = result.info
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            if replace_id is not None:
                self._delete_video_rows(replace_id)
            cur = c.execute(
                """INSERT INTO videos(path, name, fingerprint, size_bytes, mtime, duration_s, fps, width, height,
                   has_audio, language, warnings, added_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (str(info.path), info.path.name, result.fingerprint, info.size_bytes, _mtime(info.path),
                 result.info.duration_s, info.fps, info.width, info.height, int(info.has_audio), result.language,
                 json.dumps(result.warnings, ensure_ascii=False), time.time()),
            )
            vid = int(cur.lastrowid)
            shot_ids = {}
            for s in result.shots:
                shot_ids[s.index] = int(c.execute(
                    "INSERT INTO shots(video_id, idx, start_s, end_s) VALUES(?,?,?,?)", (vid, s.index, s.start_s, s.end_s)
                ).lastrowid)
            kv = result.keyframe_vectors
            for i, kf in enumerate(result.keyframes):
                c.execute(
                    "INSERT INTO keyframes(shot_id, time_s, thumb, vec) VALUES(?,?,?,?)",
                    (shot_ids[kf.shot_index], kf.time_s, thumbs[i], _blob(kv[i]) if kv is not None else None),
                )
            for i, g in enumerate(result.segments):
                norm = normalize_for_match(g.text)
                sid = int(c.execute(
                    "INSERT INTO segments(shot_id, start_s, end_s, text, language, vec, norm) VALUES(?,?,?,?,?,?,?)",
                    (shot_ids[g.shot_index], g.start_s, g.end_s, g.text, g.language,
                     _blob(result.segment_vectors[i]), norm),
                ).lastrowid)
                c.execute("INSERT INTO segments_fts(rowid, norm) VALUES(?, ?)", (sid, norm))
            self._set_meta("generation", self.generation + 1)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self._dirty.update(CHANNELS)
        return vid

    def set_captions(self, items: list[tuple[int, str, str, np.ndarray]]) -> None:
        """items: (shot_id, caption, caption_en, vector). Updates existing rows, so the
        caption index is rebuilt rather than appended to."""
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for shot_id, caption, caption_en, vec in items:
                c.execute("UPDATE shots SET caption=?, caption_en=?, caption_vec=? WHERE id=?",
                          (caption, caption_en, _blob(vec), shot_id))
            self._bump_rebuild("caption")
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self._dirty.add("caption")

    def record_captioner(self, identity: str) -> None:
        """Note in the manifest which model wrote the shot captions."""
        manifest = self.manifest
        manifest["captioner"] = identity
        self._set_meta("manifest", manifest)
        self._export_manifest(manifest)

    def remove_video(self, video_id: int) -> None:
        row = self._conn.execute("SELECT fingerprint FROM videos WHERE id=?", (video_id,)).fetchone()
        if row is None:
            raise SceneFinderError(f"no video with id {video_id} in the library")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._delete_video_rows(video_id)
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        shutil.rmtree(self.db_dir / "thumbs" / row["fingerprint"], ignore_errors=True)

    def _delete_video_rows(self, video_id: int) -> None:
        c = self._conn
        c.execute(
            """INSERT INTO segments_fts(segments_fts, rowid, norm)
               SELECT 'delete', g.id, g.norm FROM segments g JOIN shots s ON g.shot_id=s.id WHERE s.video_id=?""",
            (video_id,),
        )
        c.execute("DELETE FROM videos WHERE id=?", (video_id,))
        for ch in CHANNELS:
            self._bump_rebuild(ch)

    def _bump_rebuild(self, channel: str) -> None:
        gen = self.generation + 1
        self._set_meta("generation", gen)
        self._set_meta(f"{channel}.rebuild_gen", gen)
        self._dirty.add(channel)

    def update_path(self, video_id: int, path: Path) -> None:
        self._conn.execute("UPDATE videos SET path=?, name=?, mtime=? WHERE id=?",
                           (str(path), path.name, _mtime(path), video_id))

    def sweep_orphans(self) -> int:
        """Remove thumbnail folders no video row points to (left by a killed ingest)."""
        known = {r[0] for r in self._conn.execute("SELECT fingerprint FROM videos")}
        removed = 0
        thumbs = self.db_dir / "thumbs"
        if thumbs.is_dir():
            for d in thumbs.iterdir():
                if d.is_dir() and d.name not in known:
                    shutil.rmtree(d, ignore_errors=True)
                    removed += 1
        return removed

    def replace_vectors(self, channel: str, items: Iterator[tuple[int, np.ndarray | None]], stamp: ChannelStamp) -> None:
        """Re-embedding (reindex): set every row's vector for ``channel`` and its manifest stamp."""
        table, col = CHANNEL_ROWS[channel]
        c = self._conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for row_id, vec in items:
                c.execute(f"UPDATE {table} SET {col}=? WHERE id=?", (_blob(vec), row_id))
            manifest = self.manifest
            manifest.setdefault("channels", {})[channel] = stamp.to_json()
            self._set_meta("manifest", manifest)
            self._bump_rebuild(channel)
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        self._export_manifest(self.manifest)
        self._indexes.pop(channel, None)

    # --- indexes -----------------------------------------------------------------
    def index(self, channel: str) -> VectorIndex | None:
        """The channel's FAISS index, caught up with the catalogue; None when the channel has no vectors.

        Thread-safe: the app shares one library between its sessions.
        """
        with self._index_lock:
            return self._index(channel)

    def _index(self, channel: str) -> VectorIndex | None:
        if channel in self._indexes:
            idx = self._indexes[channel]
            if idx.info.generation == self.generation:
                return idx
        stamp = self.channel_stamp(channel)
        if stamp is None or stamp.model is None:
            return None
        idx = self._load_or_build(channel, stamp.dim, self.exact_max)
        self._indexes[channel] = idx
        return idx

    def _index_path(self, channel: str) -> Path:
        return self.db_dir / "index" / f"{channel}.faiss"

    def _load_or_build(self, channel: str, dim: int, exact_max: int) -> VectorIndex:
        gen = self.generation
        rebuild_gen = int(self._meta(f"{channel}.rebuild_gen", 0))
        idx = self._indexes.get(channel)
        path = self._index_path(channel)
        if idx is None and path.exists():
            try:
                idx = VectorIndex.load(path)
            except Exception as exc:  # noqa: BLE001 - a damaged cache file is rebuilt, not fatal
                log.warning("index %s unreadable (%s); rebuilding it from the catalogue", path.name, exc)
                idx = None
        if idx is not None and (idx.info.rebuild_gen != rebuild_gen or idx.info.dim != dim):
            idx = None
        if idx is None:
            ids, vecs = self.vectors(channel, dim, after_id=0)
            idx = VectorIndex.build(ids, vecs, exact_max) if len(ids) else VectorIndex.empty(dim)
            self._dirty.add(channel)
        elif idx.info.generation != gen:
            ids, vecs = self.vectors(channel, dim, after_id=idx.info.max_id)
            idx.add(ids, vecs)
            self._dirty.add(channel)
        # The writer picks the index kind (and records it); a reader uses what it finds.
        if self.writable and idx.needs_rebuild(exact_max):
            ids, vecs = self.vectors(channel, dim, after_id=0)
            idx = VectorIndex.build(ids, vecs, exact_max)
            self._dirty.add(channel)
        idx.info.generation = gen
        idx.info.rebuild_gen = rebuild_gen
        return idx

    def vectors(self, channel: str, dim: int, after_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(ids (n,) int64, vectors (n, dim) float32) of ``channel`` with id > ``after_id``, from the catalogue."""
        table, col = CHANNEL_ROWS[channel]
        ids, chunks = [], []
        cur = self._conn.execute(f"SELECT id, {col} FROM {table} WHERE id>? AND {col} IS NOT NULL ORDER BY id",
                                 (after_id,))
        while batch := cur.fetchmany(10_000):
            ids.extend(r[0] for r in batch)
            chunks.append(np.frombuffer(b"".join(r[1] for r in batch), dtype=np.float32).reshape(-1, dim))
        if not ids:
            return np.zeros(0, np.int64), np.zeros((0, dim), np.float32)
        return np.asarray(ids, np.int64), np.concatenate(chunks)

    def refresh_indexes(self) -> None:
        """Load every index (rebuilding any whose kind no longer fits its size) and save them."""
        self._dirty.update(CHANNELS)
        self.save_indexes()

    def save_indexes(self) -> None:
        """Bring every channel's index up to date (and to the right kind for its size) and
        write the ones that changed."""
        if not self.writable:
            return
        for channel in CHANNELS:
            if channel not in self._dirty:
                continue
            idx = self.index(channel)
            if idx is not None:
                idx.save(self._index_path(channel))
                manifest = self.manifest
                manifest.setdefault("index", {})[channel] = {
                    "kind": idx.info.kind, "count": idx.info.count, "nlist": idx.info.nlist,
                    "nprobe": idx.info.nprobe, "recall_at_10": round(idx.info.recall_at_10, 4),
                }
                self._set_meta("manifest", manifest)
                self._export_manifest(manifest)
        self._dirty.clear()


def _mtime(path: Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
