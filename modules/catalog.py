"""The catalogue: the SQLite file that is the library's source of truth.

It holds videos, shots, keyframes, dialogue segments, text on screen, every vector (float32
blobs: the pictures' beside their keyframes, the text channels' in ``vectors``, one space per text
model) and the meta table (manifest, generation counters). This module is the only place
that knows the schema: callers ask it questions by name. SQLite errors leave it as
typed errors that say what to do (a damaged file, a full disk, a read-only folder).

A read-only catalogue (a read-only mount, a library being shared) is opened with
``mode=ro``, and where even that needs a write (WAL readers create a ``-shm`` file)
as ``immutable``: reading never writes.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
import unicodedata
import urllib.parse
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from models.text_embedder import model_key
from modules import faults
from modules.channels import CHANNELS, Channel, channel_of
from modules.errors import LibraryDamaged, LibraryMissing, LibraryReadOnly, SceneFinderError
from modules.schema import VideoResult

SCHEMA_VERSION = 1

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
-- text read in the picture (subtitles, title cards, signs), one row per distinct line per shot
CREATE TABLE IF NOT EXISTS screen_texts (
    id INTEGER PRIMARY KEY,
    shot_id INTEGER NOT NULL REFERENCES shots(id) ON DELETE CASCADE,
    start_s REAL NOT NULL, end_s REAL NOT NULL, text TEXT NOT NULL, confidence REAL, vec BLOB,
    norm TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS screen_texts_shot ON screen_texts(shot_id);
CREATE VIRTUAL TABLE IF NOT EXISTS screen_texts_fts USING fts5(
    norm, tokenize='trigram', content='screen_texts', content_rowid='id');
-- videos whose picture has been read for text (with no text found, too), and by what
CREATE TABLE IF NOT EXISTS screen_read (
    video_id INTEGER PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE, reader TEXT NOT NULL, read_at REAL
);
-- videos whose speech recognition failed (a bad audio track, a model that could not run): tried again
CREATE TABLE IF NOT EXISTS dialogue_failed (
    video_id INTEGER PRIMARY KEY REFERENCES videos(id) ON DELETE CASCADE, reason TEXT NOT NULL, failed_at REAL
);
-- the text channels' vectors, one space per text model ("dialogue.multilingual-e5-small"): row_id is the
-- id of the channel's row (a segment, a line of text on screen, a shot for its caption). A rowid table
-- with its key beside it: 1.5-2 KB rows inside a WITHOUT ROWID b-tree made a query's 200 look-ups 5x slower
CREATE TABLE IF NOT EXISTS vectors (
    space TEXT NOT NULL, row_id INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (space, row_id)
);
"""
TEXT_CHANNELS = tuple(c for c in CHANNELS.values() if c.is_text)

_COUNTABLE = ("videos", "shots", "keyframes", "segments", "screen_texts")
# what a look-up by id returns: every column but the vectors (a query reads a hundred candidates)
_ROW_COLUMNS = {
    "shots": "id, video_id, idx, start_s, end_s, caption, caption_en",
    "keyframes": "id, shot_id, time_s, thumb",
    "segments": "id, shot_id, start_s, end_s, text, language, norm",
    "screen_texts": "id, shot_id, start_s, end_s, text, confidence, norm",
}


def normalize_for_match(text: str) -> str:
    """NFKC, case-folded, with spaces and punctuation removed: "Gryffindor!" == "gryffindor",
    "그리핀 도르" == "그리핀도르"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def blob(v: np.ndarray | None) -> bytes | None:
    return None if v is None else np.ascontiguousarray(v, dtype=np.float32).tobytes()


def _uri(path: Path, **params: str) -> str:
    return f"file:{urllib.parse.quote(str(path.resolve()))}?{urllib.parse.urlencode(params)}"


def as_user_error(exc: sqlite3.Error, path: Path) -> SceneFinderError:
    """A SQLite error as what it means for the user, with the next step."""
    msg = str(exc)
    folder = path.parent
    if "full" in msg:
        return SceneFinderError(
            f"no space left for the library in {folder}/ ({msg}); free some disk space and run the same "
            f"command again: what was committed is kept"
        )
    if "readonly" in msg or "read-only" in msg:
        return LibraryReadOnly(
            f"the library in {folder}/ is read-only ({msg}); searching it works, adding or removing videos "
            f"needs write access to the folder"
        )
    if "locked" in msg or "busy" in msg:
        return SceneFinderError(f"the library in {folder}/ is busy ({msg}); try again in a moment")
    return LibraryDamaged(
        f"the library catalogue {path} is damaged ({msg}). Your videos are untouched: move {folder}/ aside "
        f"and rebuild the library with: python main.py ingest YOUR_VIDEO_FOLDERS --db {folder}"
    )


class Catalog:
    """One SQLite connection. Reads are safe beside one writer (WAL); writes go through
    :meth:`transaction`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, writable: bool):
        self.path = path
        self._conn = conn
        self.writable = writable
        # a library made by an older version, opened read-only, lacks the newer tables
        self.tables = {r[0] for r in self._all("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        # and keeps its text vectors beside their rows, one model a channel: space -> that channel
        self._legacy: dict[str, Channel] = {} if self.meta("vectors_moved") else self._legacy_spaces()

    def _legacy_spaces(self) -> dict[str, Channel]:
        channels = (self.meta("manifest", {}) or {}).get("channels", {})
        out = {}
        for ch in TEXT_CHANNELS:
            stamp = channels.get(ch.name) if isinstance(channels, dict) else None
            if isinstance(stamp, dict) and stamp.get("model"):
                out[f"{ch.name}.{model_key(stamp['model'])}"] = ch
        return out

    def named_as_spaces(self, channels: dict) -> dict:
        """A manifest's channel stamps with each text channel of a library from before spaces renamed to
        the space its vectors are (``dialogue`` -> ``dialogue.multilingual-e5-small``) and stamped with the
        model, not its backend; a text channel that was off is left out (its spaces start when it is on).
        A library made with spaces has no such names: its stamps come back as they are."""
        if not isinstance(channels, dict):
            return channels
        out = {k: v for k, v in channels.items() if k not in {ch.name for ch in TEXT_CHANNELS}}
        for space, ch in self._legacy.items():
            out[space] = {**channels[ch.name], "model": channels[ch.name]["model"].split("@")[0]}
        return out

    def _move_text_vectors(self) -> None:
        """A library from before spaces: its text vectors move, in one transaction, from beside their
        rows to the ``vectors`` table under their model's space, and the manifest names the spaces."""
        if self.meta("vectors_moved"):
            return
        with self.transaction():
            for space, ch in self._legacy.items():
                if ch.table in self.tables:
                    self._q(f"INSERT OR REPLACE INTO vectors(space, row_id, vec) SELECT ?, id, {ch.vector_column} "
                            f"FROM {ch.table} WHERE {ch.vector_column} IS NOT NULL", (space,))
                    self._q(f"UPDATE {ch.table} SET {ch.vector_column}=NULL WHERE {ch.vector_column} IS NOT NULL")
            manifest = self.meta("manifest", {}) or {}
            if isinstance(manifest, dict) and "channels" in manifest:
                self.set_meta("manifest", {**manifest, "channels": self.named_as_spaces(manifest["channels"])})
            self.set_meta("vectors_moved", 1)
            self.bump(rebuild=[ch.name for ch in TEXT_CHANNELS])
        self._legacy = {}
    # --- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path, *, writable: bool) -> "Catalog":
        path = Path(path)
        try:
            if writable:
                conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                conn.execute("PRAGMA foreign_keys=ON")
                conn.executescript(_SCHEMA)
            else:
                conn = cls._open_read_only(path)
            conn.row_factory = sqlite3.Row
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
        except sqlite3.Error as exc:
            raise as_user_error(exc, path) from exc
        if not has_meta:
            conn.close()
            raise LibraryMissing(f"{path} is not a Scene Finder library (no catalogue tables)")
        catalog = cls(path, conn, writable)
        if writable:
            catalog._move_text_vectors()
        return catalog

    @staticmethod
    def _open_read_only(path: Path) -> sqlite3.Connection:
        kw = dict(timeout=30, isolation_level=None, check_same_thread=False, uri=True)
        conn = sqlite3.connect(_uri(path, mode="ro"), **kw)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "unable to open" not in str(exc) and "readonly" not in str(exc):
                raise
        # A read-only folder: a WAL reader cannot create its -shm file there. Read the file as
        # it is (a library closed cleanly has its WAL folded in).
        return sqlite3.connect(_uri(path, immutable="1"), **kw)

    def close(self) -> None:
        self._conn.close()

    def _q(self, sql: str, params: Sequence = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, tuple(params))
        except sqlite3.Error as exc:
            raise as_user_error(exc, self.path) from exc

    def _all(self, sql: str, params: Sequence = ()) -> list[sqlite3.Row]:
        try:
            return self._conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as exc:
            raise as_user_error(exc, self.path) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE ... COMMIT; rolled back (when one is open) on any error."""
        if not self.writable:
            raise LibraryReadOnly(f"{self.path} was opened for reading only")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            yield
            self._conn.execute("COMMIT")
        except BaseException as exc:
            if self._conn.in_transaction:
                try:
                    self._conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass  # the original error says more than a failed rollback
            if isinstance(exc, sqlite3.Error):
                raise as_user_error(exc, self.path) from exc
            raise

    # --- meta ----------------------------------------------------------------------
    def meta(self, key: str, default=None):
        row = self._q("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        if row is None:
            return default
        try:
            return json.loads(row["value"])
        except ValueError:
            return default  # a damaged value is treated as absent: callers rebuild what it described

    def set_meta(self, key: str, value) -> None:
        self._q("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (key, json.dumps(value)))

    @property
    def generation(self) -> int:
        return int(self.meta("generation", 0) or 0)

    def rebuild_generation(self, channel: str) -> int:
        return int(self.meta(f"{channel}.rebuild_gen", 0) or 0)

    def bump(self, rebuild: Iterable[str] = ()) -> None:
        """A new generation; channels in ``rebuild`` had rows changed or removed (not only added)."""
        gen = self.generation + 1
        self.set_meta("generation", gen)
        for ch in rebuild:
            self.set_meta(f"{ch}.rebuild_gen", gen)

    # --- videos --------------------------------------------------------------------
    def video(self, video_id: int) -> sqlite3.Row | None:
        return self._q("SELECT * FROM videos WHERE id=?", (video_id,)).fetchone()

    def video_by_fingerprint(self, fingerprint: str) -> sqlite3.Row | None:
        return self._q("SELECT * FROM videos WHERE fingerprint=?", (fingerprint,)).fetchone()

    def video_by_path(self, path: Path) -> sqlite3.Row | None:
        return self._q("SELECT * FROM videos WHERE path=?", (str(path),)).fetchone()

    def videos(self) -> list[sqlite3.Row]:
        """Every video with its counts of shots, dialogue segments and captions."""
        return self._all(
            """SELECT v.*, (SELECT count(*) FROM shots s WHERE s.video_id=v.id) AS n_shots,
                      (SELECT count(*) FROM segments g JOIN shots s ON g.shot_id=s.id WHERE s.video_id=v.id) AS n_segments,
                      (SELECT count(*) FROM shots s WHERE s.video_id=v.id AND s.caption IS NOT NULL) AS n_captions,
                      {n_screen} AS n_screen
               FROM videos v ORDER BY v.name, v.id""".format(n_screen=(
                "(SELECT count(*) FROM screen_texts t JOIN shots s ON t.shot_id=s.id WHERE s.video_id=v.id)"
                if "screen_texts" in self.tables else "0"))
        )

    def dialogue_failed(self, video_id: int) -> str:
        """Why the video's speech recognition failed when it was added ("" when it did not)."""
        if "dialogue_failed" not in self.tables:
            return ""
        row = self._q("SELECT reason FROM dialogue_failed WHERE video_id=?", (video_id,)).fetchone()
        return row["reason"] if row else ""

    def videos_matching(self, ref: str) -> list[sqlite3.Row]:
        """Videos an id, a path or a file name names (names compared in NFC: macOS writes NFD)."""
        ref = str(ref).strip()
        if ref.isdigit() and len(ref) <= 18:  # an id SQLite can hold (a longer run of digits is a name)
            row = self.video(int(ref))
            if row is not None:
                return [row]
        want = unicodedata.normalize("NFC", ref)
        return [r for r in self._all("SELECT * FROM videos ORDER BY id")
                if want in (unicodedata.normalize("NFC", r["path"]), unicodedata.normalize("NFC", r["name"]))]

    def timeline(self, video_id: int) -> list[dict]:
        """The video's shots in order, each with its first keyframe's thumbnail, its dialogue and its
        text on screen."""
        shots = {s["id"]: {"shot_id": s["id"], "index": s["idx"], "start_s": s["start_s"], "end_s": s["end_s"],
                           "thumb": "", "dialogue": [], "screen_text": [], "caption": s["caption"] or ""}
                 for s in self.shots_of(video_id)}
        for k in self._all("SELECT k.shot_id, k.thumb FROM keyframes k JOIN shots s ON k.shot_id=s.id "
                           "WHERE s.video_id=? ORDER BY k.time_s", (video_id,)):
            shots[k["shot_id"]]["thumb"] = shots[k["shot_id"]]["thumb"] or k["thumb"]
        for g in self._all("SELECT g.shot_id, g.start_s, g.text FROM segments g JOIN shots s ON g.shot_id=s.id "
                           "WHERE s.video_id=? ORDER BY g.start_s", (video_id,)):
            shots[g["shot_id"]]["dialogue"].append({"start_s": g["start_s"], "text": g["text"]})
        if "screen_texts" in self.tables:
            for t in self._all("SELECT t.shot_id, t.start_s, t.text FROM screen_texts t JOIN shots s "
                               "ON t.shot_id=s.id WHERE s.video_id=? ORDER BY t.start_s", (video_id,)):
                shots[t["shot_id"]]["screen_text"].append({"start_s": t["start_s"], "text": t["text"]})
        return sorted(shots.values(), key=lambda s: s["index"])

    def keyframe_vector_near(self, video_id: int, time_s: float) -> tuple[int, np.ndarray | None]:
        """(shot id, picture vector) of the video's keyframe nearest ``time_s``."""
        row = self._q("SELECT k.shot_id, k.vec FROM keyframes k JOIN shots s ON k.shot_id=s.id WHERE s.video_id=? "
                      "ORDER BY abs(k.time_s - ?) LIMIT 1", (video_id, time_s)).fetchone()
        if row is None:
            return 0, None
        return row["shot_id"], (np.frombuffer(row["vec"], np.float32).copy() if row["vec"] else None)

    def shot_at(self, video_id: int, time_s: float) -> int | None:
        row = self._q("SELECT id FROM shots WHERE video_id=? AND start_s <= ? ORDER BY start_s DESC LIMIT 1",
                      (video_id, time_s)).fetchone()
        return row["id"] if row else None

    def video_names(self) -> list[sqlite3.Row]:
        return self._all("SELECT id, name, path FROM videos")

    def fingerprints(self) -> set[str]:
        return {r[0] for r in self._all("SELECT fingerprint FROM videos")}

    def count(self, table: str) -> int:
        if table not in _COUNTABLE:
            raise ValueError(f"cannot count {table!r}; one of {_COUNTABLE}")
        return int(self._q(f"SELECT count(*) FROM {table}").fetchone()[0])

    def describe(self, video_id: int) -> dict:
        """A video with its shots (keyframe times, caption) and dialogue, as plain data."""
        v = self.video(video_id)
        shots = []
        for s in self.shots_of(video_id):
            kfs = self._all("SELECT time_s FROM keyframes WHERE shot_id=? ORDER BY time_s", (s["id"],))
            shot = {"start_s": round(s["start_s"], 3), "end_s": round(s["end_s"], 3),
                    "keyframes_s": [round(k["time_s"], 3) for k in kfs]}
            if s["caption"]:
                shot["caption"] = s["caption"]
            shots.append(shot)
        dialogue = [
            {"start_s": round(g["start_s"], 3), "end_s": round(g["end_s"], 3), "text": g["text"], "shot": g["idx"]}
            for g in self._all(
                """SELECT g.start_s, g.end_s, g.text, s.idx FROM segments g JOIN shots s ON g.shot_id=s.id
                   WHERE s.video_id=? ORDER BY g.start_s""",
                (video_id,),
            )
        ]
        screen = [
            {"start_s": round(t["start_s"], 3), "end_s": round(t["end_s"], 3), "text": t["text"], "shot": t["idx"]}
            for t in (self._all(
                """SELECT t.start_s, t.end_s, t.text, s.idx FROM screen_texts t JOIN shots s ON t.shot_id=s.id
                   WHERE s.video_id=? ORDER BY t.start_s, t.id""",
                (video_id,),
            ) if "screen_texts" in self.tables else [])
        ]
        try:
            warnings = json.loads(v["warnings"] or "[]")
        except ValueError:
            warnings = []
        return {
            "id": v["id"], "path": v["path"], "name": v["name"], "duration_s": round(v["duration_s"] or 0.0, 3),
            "fps": v["fps"], "width": v["width"], "height": v["height"], "language": v["language"] or "",
            "warnings": warnings, "shots": shots, "dialogue": dialogue, "screen_text": screen,
        }

    def insert_video(self, result: VideoResult, thumbs: list[str], replace_id: int | None = None,
                     spaces: Iterable[str] = ()) -> int:
        """One video's rows and vectors in one transaction (``replace_id``: an earlier version of the
        same file goes in the same transaction). Video ids are never reused, so a cited id stays valid.
        Text vectors are stored for the text ``spaces`` the library keeps; the result's others are left out."""
        spaces = set(spaces)
        info = result.info
        with self.transaction():
            if replace_id is not None:
                self._delete_video_rows(replace_id)
            last = max(int(self.meta("last_video_id", 0) or 0),
                       int(self._q("SELECT coalesce(max(id), 0) FROM videos").fetchone()[0]))
            vid = last + 1
            self._q(
                """INSERT INTO videos(id, path, name, fingerprint, size_bytes, mtime, duration_s, fps, width, height,
                   has_audio, language, warnings, added_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                (vid, str(info.path), info.path.name, result.fingerprint, info.size_bytes, _mtime(info.path),
                 info.duration_s, info.fps, info.width, info.height, int(info.has_audio), result.language,
                 json.dumps(result.warnings, ensure_ascii=False), time.time()),
            )
            self.set_meta("last_video_id", vid)
            shot_ids = {}
            for s in result.shots:
                shot_ids[s.index] = int(self._q(
                    "INSERT INTO shots(video_id, idx, start_s, end_s) VALUES(?,?,?,?)", (vid, s.index, s.start_s, s.end_s)
                ).lastrowid)
            kv = result.keyframe_vectors
            for i, kf in enumerate(result.keyframes):
                self._q("INSERT INTO keyframes(shot_id, time_s, thumb, vec) VALUES(?,?,?,?)",
                        (shot_ids[kf.shot_index], kf.time_s, thumbs[i], blob(kv[i]) if kv is not None else None))
            segment_ids = []
            for g in result.segments:
                norm = normalize_for_match(g.text)
                sid = int(self._q(
                    "INSERT INTO segments(shot_id, start_s, end_s, text, language, norm) VALUES(?,?,?,?,?,?)",
                    (shot_ids[g.shot_index], g.start_s, g.end_s, g.text, g.language, norm),
                ).lastrowid)
                self._q("INSERT INTO segments_fts(rowid, norm) VALUES(?, ?)", (sid, norm))
                segment_ids.append(sid)
            self._insert_vectors("dialogue", segment_ids, result.segment_vectors, spaces)
            if result.screen_texts is not None:
                self._insert_screen_texts(vid, shot_ids, result.screen_texts, result.screen_vectors or {},
                                          result.screen_reader, spaces)
            if result.dialogue_failed:
                self._q("INSERT INTO dialogue_failed(video_id, reason, failed_at) VALUES(?,?,?)",
                        (vid, result.dialogue_failed, time.time()))
            faults.point("mid-commit")  # every row written, the transaction still open
            self.bump()  # a replaced version already marked every channel for rebuild
        return vid

    def _insert_vectors(self, channel: str, row_ids: list[int], by_model: dict[str, np.ndarray],
                        spaces: set[str]) -> None:
        """Inside a transaction: the rows' vectors of each text model whose space the library keeps."""
        for key, vecs in by_model.items():
            name = f"{channel}.{key}"
            if name not in spaces:
                continue
            if len(vecs) != len(row_ids):
                raise ValueError(f"{len(vecs)} vectors of {name} for {len(row_ids)} rows")
            self._conn.executemany("INSERT OR REPLACE INTO vectors(space, row_id, vec) VALUES(?,?,?)",
                                   [(name, rid, blob(v)) for rid, v in zip(row_ids, vecs)])

    def _insert_screen_texts(self, video_id: int, shot_ids: dict[int, int], items,
                             vectors: dict[str, np.ndarray], reader: str, spaces: set[str]) -> None:
        row_ids = []
        for t in items:
            norm = normalize_for_match(t.text)
            rid = int(self._q(
                "INSERT INTO screen_texts(shot_id, start_s, end_s, text, confidence, norm) VALUES(?,?,?,?,?,?)",
                (shot_ids[t.shot_index], t.start_s, t.end_s, t.text, t.confidence, norm),
            ).lastrowid)
            self._q("INSERT INTO screen_texts_fts(rowid, norm) VALUES(?, ?)", (rid, norm))
            row_ids.append(rid)
        self._insert_vectors("screen", row_ids, vectors, spaces)
        self._q("INSERT OR REPLACE INTO screen_read(video_id, reader, read_at) VALUES(?,?,?)",
                (video_id, reader, time.time()))

    def add_screen_texts(self, video_id: int, items, vectors: dict[str, np.ndarray], reader: str,
                         spaces: Iterable[str]) -> None:
        """The on-screen text of a video already in the library (``reindex --ocr``), in one transaction."""
        shot_ids = {r["idx"]: r["id"] for r in self._all("SELECT id, idx FROM shots WHERE video_id=?", (video_id,))}
        with self.transaction():
            self._insert_screen_texts(video_id, shot_ids, items, vectors, reader, set(spaces))
            self.bump()

    def videos_without_screen_text(self) -> list[sqlite3.Row]:
        """Videos whose picture was never read for text (added before the channel, or with it off)."""
        return self._all("SELECT v.* FROM videos v LEFT JOIN screen_read r ON r.video_id=v.id "
                         "WHERE r.video_id IS NULL ORDER BY v.id")

    def shots_of(self, video_id: int) -> list[sqlite3.Row]:
        return self._all(f"SELECT {_ROW_COLUMNS['shots']} FROM shots WHERE video_id=? ORDER BY idx", (video_id,))

    def delete_video(self, video_id: int) -> None:
        with self.transaction():
            self._delete_video_rows(video_id)

    def _delete_video_rows(self, video_id: int) -> None:
        self._q(
            """INSERT INTO segments_fts(segments_fts, rowid, norm)
               SELECT 'delete', g.id, g.norm FROM segments g JOIN shots s ON g.shot_id=s.id WHERE s.video_id=?""",
            (video_id,),
        )
        self._q(
            """INSERT INTO screen_texts_fts(screen_texts_fts, rowid, norm)
               SELECT 'delete', t.id, t.norm FROM screen_texts t JOIN shots s ON t.shot_id=s.id WHERE s.video_id=?""",
            (video_id,),
        )
        for ch in TEXT_CHANNELS:
            rows = ("SELECT s.id FROM shots s WHERE s.video_id=?" if ch.table == "shots" else
                    f"SELECT r.id FROM {ch.table} r JOIN shots s ON r.{ch.shot_column}=s.id WHERE s.video_id=?")
            self._q(f"DELETE FROM vectors WHERE space >= ? AND space < ? AND row_id IN ({rows})",
                    (ch.name + ".", ch.name + "/", video_id))  # the channel's spaces ('/' follows '.')
        self._q("DELETE FROM videos WHERE id=?", (video_id,))
        self.bump(rebuild=CHANNELS)

    def update_path(self, video_id: int, path: Path) -> None:
        self._q("UPDATE videos SET path=?, name=?, mtime=? WHERE id=?", (str(path), path.name, _mtime(path), video_id))

    # --- vectors -------------------------------------------------------------------
    def _vector_source(self, space_name: str) -> tuple[str, str, tuple]:
        """(table, vector column, filter params) holding a space's vectors, as a FROM/WHERE fragment."""
        ch = channel_of(space_name)
        if not ch.is_text:
            return ch.table, ch.vector_column, ()
        legacy = self._legacy.get(space_name)
        if legacy is not None:
            return legacy.table, legacy.vector_column, ()
        return "vectors", "vec", (space_name,)

    def _select_vectors(self, space_name: str, where: str, params: Sequence) -> sqlite3.Cursor:
        table, column, own = self._vector_source(space_name)
        id_col = "row_id" if own else "id"
        cond = ("space=? AND " if own else "") + f"{column} IS NOT NULL" + (f" AND {where.format(id=id_col)}" if where else "")
        return self._q(f"SELECT {id_col}, {column} FROM {table} WHERE {cond} ORDER BY {id_col}", (*own, *params))

    def vectors(self, space_name: str, dim: int, after_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(ids (n,) int64, vectors (n, dim) float32) of a space with row id > ``after_id``.

        A blob of the wrong size (damage) is left out rather than poisoning the index."""
        if not self.has_space_table(space_name):
            return np.zeros(0, np.int64), np.zeros((0, dim), np.float32)
        ids, chunks = [], []
        width = dim * 4
        cur = self._select_vectors(space_name, "{id}>?", (after_id,))
        while batch := cur.fetchmany(10_000):
            good = [r for r in batch if len(r[1]) == width]
            ids.extend(r[0] for r in good)
            if good:
                chunks.append(np.frombuffer(b"".join(r[1] for r in good), dtype=np.float32).reshape(-1, dim))
        if not ids:
            return np.zeros(0, np.int64), np.zeros((0, dim), np.float32)
        return np.asarray(ids, np.int64), np.concatenate(chunks)

    def has_vectors(self, space_name: str) -> bool:
        if channel_of(space_name).table not in self.tables or not self.has_space_table(space_name):
            return False
        table, column, own = self._vector_source(space_name)
        cond = "space=? AND " if own else ""
        return self._q(f"SELECT 1 FROM {table} WHERE {cond}{column} IS NOT NULL LIMIT 1", own).fetchone() is not None

    def set_vectors(self, space_name: str, items: Iterable[tuple[int, np.ndarray | None]]) -> None:
        """Inside a transaction: set each row's vector of a space (None removes it)."""
        ch = channel_of(space_name)
        for row_id, vec in items:
            if not ch.is_text:
                self._q(f"UPDATE {ch.table} SET {ch.vector_column}=? WHERE id=?", (blob(vec), row_id))
            elif vec is None:
                self._q("DELETE FROM vectors WHERE space=? AND row_id=?", (space_name, row_id))
            else:
                self._q("INSERT OR REPLACE INTO vectors(space, row_id, vec) VALUES(?,?,?)", (space_name, row_id, blob(vec)))

    def drop_space(self, space_name: str) -> None:
        """Inside a transaction: every vector of a text space (a model the library no longer keeps)."""
        self._q("DELETE FROM vectors WHERE space=?", (space_name,))

    def texts(self, channel: Channel) -> list[sqlite3.Row]:
        """(id, text) of every row of a text channel that has text, for re-embedding."""
        return self._all(f"SELECT id, {channel.text_column} AS text FROM {channel.table} "
                         f"WHERE {channel.text_column} IS NOT NULL ORDER BY id")

    def texts_in_order(self, channel: Channel) -> list[sqlite3.Row]:
        """(id, video_id, shot_id, start_s, end_s, text) of every row of a per-shot text channel, by video and time:
        what ``transcripts.dialogue_vectors`` needs to embed pieces of sentences with their sentence."""
        return self._all(f"SELECT t.id, s.video_id, t.{channel.shot_column} AS shot_id, t.start_s, t.end_s, "
                         f"t.{channel.text_column} AS text "
                         f"FROM {channel.table} t JOIN shots s ON t.{channel.shot_column}=s.id "
                         f"WHERE t.{channel.text_column} IS NOT NULL ORDER BY s.video_id, t.start_s, t.id")

    def keyframes_with_video(self) -> list[sqlite3.Row]:
        """Every keyframe with its thumbnail, time and video path (for re-embedding and thumbnail repair)."""
        return self._all("""SELECT k.id, k.thumb, k.time_s, k.vec IS NOT NULL AS has_vec, v.path, v.fingerprint
                            FROM keyframes k JOIN shots s ON k.shot_id=s.id JOIN videos v ON s.video_id=v.id
                            ORDER BY k.id""")

    # --- captions ------------------------------------------------------------------
    def uncaptioned_shots(self) -> list[int]:
        return [r[0] for r in self._all("SELECT id FROM shots WHERE caption IS NULL ORDER BY id")]

    def shot_thumbs(self, shot_id: int, limit: int) -> list[str]:
        return [r[0] for r in self._all("SELECT thumb FROM keyframes WHERE shot_id=? ORDER BY time_s LIMIT ?",
                                        (shot_id, limit))]

    def set_captions(self, items: Sequence[tuple[int, str, str]], vectors: dict[str, np.ndarray],
                     spaces: Iterable[str]) -> None:
        """items: (shot_id, caption, caption_en); ``vectors``: model key -> (len(items), d); in one transaction."""
        with self.transaction():
            for shot_id, caption, caption_en in items:
                self._q("UPDATE shots SET caption=?, caption_en=? WHERE id=?", (caption, caption_en, shot_id))
            self._insert_vectors("caption", [i[0] for i in items], vectors, set(spaces))
            self.bump(rebuild=("caption",))

    def captioned_shots(self) -> list[sqlite3.Row]:
        """(path, start_s, end_s, caption) of every captioned shot, by video then shot."""
        return self._all("SELECT v.path, s.start_s, s.end_s, s.caption FROM shots s JOIN videos v ON s.video_id=v.id "
                         "WHERE s.caption IS NOT NULL AND s.caption != '' ORDER BY v.path, s.idx")

    # --- search --------------------------------------------------------------------
    def rows_in(self, channel: Channel, video_ids: Sequence[int], from_s: float, to_s: float) -> np.ndarray:
        """Row ids of ``channel`` in shots of ``video_ids`` that overlap ``from_s``..``to_s``."""
        marks = ",".join("?" * len(video_ids))
        cond = f"s.video_id IN ({marks}) AND s.end_s >= ? AND s.start_s <= ?"
        if channel.table == "shots":
            sql = f"SELECT s.id FROM shots s WHERE {cond}"
        else:
            sql = f"SELECT r.id FROM {channel.table} r JOIN shots s ON r.{channel.shot_column}=s.id WHERE {cond}"
        return np.asarray([r[0] for r in self._all(sql, (*video_ids, from_s, to_s))], np.int64)

    def by_id(self, table: str, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
        """Rows of ``table`` (shots, keyframes, segments) by id."""
        if table not in _ROW_COLUMNS:
            raise ValueError(f"no look-up by id for {table!r}")
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {r["id"]: r for r in self._all(f"SELECT {_ROW_COLUMNS[table]} FROM {table} WHERE id IN ({marks})", ids)}

    def vectors_by_id(self, space_name: str, ids: Iterable[int]) -> dict[int, np.ndarray]:
        """Stored vectors of a space's rows by id (rows without a vector are left out)."""
        ids = [int(i) for i in ids]
        if not ids or not self.has_space_table(space_name):
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._select_vectors(space_name, f"{{id}} IN ({marks})", ids).fetchall()
        return {r[0]: np.frombuffer(r[1], np.float32) for r in rows}

    def has_space_table(self, space_name: str) -> bool:
        return not channel_of(space_name).is_text or "vectors" in self.tables or space_name in self._legacy

    def literal_candidates(self, channel: Channel, norm: str, limit: int = 200) -> list[sqlite3.Row]:
        """(id, norm) of ``channel``'s rows sharing character trigrams with ``norm`` (or containing it,
        when it is too short for trigrams), best first."""
        table, fts = channel.table, channel.fts_table
        if len(norm) >= 3:
            grams = list(dict.fromkeys(norm[i : i + 3] for i in range(len(norm) - 2)))[:64]
            match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
            return self._all(f"SELECT s.id, s.norm FROM {fts} f JOIN {table} s ON s.id=f.rowid "
                             f"WHERE {fts} MATCH ? ORDER BY f.rank LIMIT ?", (match, limit))
        return self._all(f"SELECT id, norm FROM {table} WHERE instr(norm, ?) > 0 LIMIT ?", (norm, limit))

    def shot_with_video(self, shot_id: int) -> sqlite3.Row | None:
        return self._q("SELECT s.id, s.video_id, s.idx, s.start_s, s.end_s, s.caption, v.id AS vid, v.path, v.name, "
                       "v.fps FROM shots s JOIN videos v ON s.video_id=v.id WHERE s.id=?", (shot_id,)).fetchone()

    def nearest_keyframe(self, shot_id: int, time_s: float) -> sqlite3.Row | None:
        return self._q(f"SELECT {_ROW_COLUMNS['keyframes']} FROM keyframes WHERE shot_id=? "
                       "ORDER BY abs(time_s - ?) LIMIT 1", (shot_id, time_s)).fetchone()


def _mtime(path: Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
