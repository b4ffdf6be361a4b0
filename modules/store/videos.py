"""The core rows every channel hangs on: videos, their shots and keyframes; one video added (with what
every channel produced of it, in one transaction) or removed."""

from __future__ import annotations

import json
import sqlite3
import time
import unicodedata
from pathlib import Path
from typing import Iterable

import numpy as np

from modules import faults
from modules.channels import get, registered
from modules.schema import VideoResult

_COUNTABLE = ("videos", "shots", "keyframes", "segments", "screen_texts")
SHOT_COLUMNS = "id, video_id, idx, start_s, end_s, caption, caption_en"


class Videos:
    def video(self, video_id: int) -> sqlite3.Row | None:
        return self._q("SELECT * FROM videos WHERE id=?", (video_id,)).fetchone()

    def video_by_fingerprint(self, fingerprint: str) -> sqlite3.Row | None:
        return self._q("SELECT * FROM videos WHERE fingerprint=?", (fingerprint,)).fetchone()

    def video_by_path(self, path: Path) -> sqlite3.Row | None:
        return self._q("SELECT * FROM videos WHERE path=?", (str(path),)).fetchone()

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

    def video_names(self) -> list[sqlite3.Row]:
        return self._all("SELECT id, name, path FROM videos")

    def fingerprints(self) -> set[str]:
        return {r[0] for r in self._all("SELECT fingerprint FROM videos")}

    def count(self, table: str) -> int:
        if table not in _COUNTABLE:
            raise ValueError(f"cannot count {table!r}; one of {_COUNTABLE}")
        if table not in self.tables:
            return 0
        return int(self._q(f"SELECT count(*) FROM {table}").fetchone()[0])

    def update_path(self, video_id: int, path: Path) -> None:
        self._q("UPDATE videos SET path=?, name=?, mtime=? WHERE id=?", (str(path), path.name, _mtime(path), video_id))

    # --- shots and keyframes -----------------------------------------------------------------
    def shots_of(self, video_id: int) -> list[sqlite3.Row]:
        return self._all(f"SELECT {SHOT_COLUMNS} FROM shots WHERE video_id=? ORDER BY idx", (video_id,))

    def shots_by_id(self, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
        ids = [int(i) for i in ids]
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        return {r["id"]: r for r in self._all(f"SELECT {SHOT_COLUMNS} FROM shots WHERE id IN ({marks})", ids)}

    def shot_at(self, video_id: int, time_s: float) -> int | None:
        row = self._q("SELECT id FROM shots WHERE video_id=? AND start_s <= ? ORDER BY start_s DESC LIMIT 1",
                      (video_id, time_s)).fetchone()
        return row["id"] if row else None

    def shot_with_video(self, shot_id: int) -> sqlite3.Row | None:
        return self._q("SELECT s.id, s.video_id, s.idx, s.start_s, s.end_s, s.caption, v.id AS vid, v.path, v.name, "
                       "v.fps FROM shots s JOIN videos v ON s.video_id=v.id WHERE s.id=?", (shot_id,)).fetchone()

    def nearest_keyframe(self, shot_id: int, time_s: float) -> sqlite3.Row | None:
        return self._q("SELECT id, shot_id, time_s, thumb FROM keyframes WHERE shot_id=? "
                       "ORDER BY abs(time_s - ?) LIMIT 1", (shot_id, time_s)).fetchone()

    def keyframe_vector_near(self, video_id: int, time_s: float) -> tuple[int, np.ndarray | None]:
        """(shot id, picture vector) of the video's keyframe nearest ``time_s``."""
        row = self._q("SELECT k.shot_id, k.vec FROM keyframes k JOIN shots s ON k.shot_id=s.id WHERE s.video_id=? "
                      "ORDER BY abs(k.time_s - ?) LIMIT 1", (video_id, time_s)).fetchone()
        if row is None:
            return 0, None
        return row["shot_id"], (np.frombuffer(row["vec"], np.float32).copy() if row["vec"] else None)

    def keyframes_with_video(self) -> list[sqlite3.Row]:
        """Every keyframe with its thumbnail, time and video path (for re-embedding and thumbnail repair)."""
        return self._all("""SELECT k.id, k.thumb, k.time_s, k.vec IS NOT NULL AS has_vec, v.path, v.fingerprint
                            FROM keyframes k JOIN shots s ON k.shot_id=s.id JOIN videos v ON s.video_id=v.id
                            ORDER BY k.id""")

    def shot_thumbs(self, shot_id: int, limit: int) -> list[str]:
        return [r[0] for r in self._all("SELECT thumb FROM keyframes WHERE shot_id=? ORDER BY time_s LIMIT ?",
                                        (shot_id, limit))]

    # --- one video in, one out ------------------------------------------------------------------
    def insert_video(self, result: VideoResult, thumbs: list[str], replace_id: int | None = None,
                     spaces: Iterable[str] = ()) -> int:
        """One video's rows and vectors in one transaction (``replace_id``: an earlier version of the
        same file goes in the same transaction). Video ids are never reused, so a cited id stays valid.
        Vectors are stored for the ``spaces`` the library keeps; the result's others are left out."""
        spaces = set(spaces)
        with self.transaction():
            if replace_id is not None:
                self._delete_video_rows(replace_id)
            vid = self._insert_video_row(result)
            shot_ids = {}
            for s in result.shots:
                shot_ids[s.index] = int(self._q(
                    "INSERT INTO shots(video_id, idx, start_s, end_s) VALUES(?,?,?,?)", (vid, s.index, s.start_s, s.end_s)
                ).lastrowid)
            keyframe_ids = [int(self._q("INSERT INTO keyframes(shot_id, time_s, thumb) VALUES(?,?,?)",
                                        (shot_ids[kf.shot_index], kf.time_s, thumbs[i])).lastrowid)
                            for i, kf in enumerate(result.keyframes)]
            for name, produced in result.channels.items():
                ch = get(name)
                row_ids = keyframe_ids if ch.table == "keyframes" else self.insert_rows(ch, shot_ids, produced.rows)
                self.write_vectors(ch, row_ids, produced.vectors, spaces)
                self.record_state(vid, ch, produced)
            faults.point("mid-commit")  # every row written, the transaction still open
            self.bump()  # a replaced version already marked every channel for rebuild
        return vid

    def _insert_video_row(self, result: VideoResult) -> int:
        info = result.info
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
        return vid

    def delete_video(self, video_id: int) -> None:
        with self.transaction():
            self._delete_video_rows(video_id)

    def _delete_video_rows(self, video_id: int) -> None:
        """Every channel's rows of the video (their trigram index and vectors too), then the video."""
        for ch in registered():
            if ch.table not in self.tables and ch.table != "shots":
                continue
            rows = ("SELECT s.id FROM shots s WHERE s.video_id=?" if ch.table == "shots" else
                    f"SELECT r.id FROM {ch.table} r JOIN shots s ON r.{ch.shot_column}=s.id WHERE s.video_id=?")
            if ch.literal and ch.fts_table in self.tables:
                self._q(f"INSERT INTO {ch.fts_table}({ch.fts_table}, rowid, norm) SELECT 'delete', r.id, r.norm "
                        f"FROM {ch.table} r JOIN shots s ON r.shot_id=s.id WHERE s.video_id=?", (video_id,))
            if not ch.vector_column:
                self._q(f"DELETE FROM vectors WHERE (space = ? OR (space >= ? AND space < ?)) AND row_id IN ({rows})",
                        (ch.name, ch.name + ".", ch.name + "/", video_id))  # its spaces ('/' follows '.')
        self._q("DELETE FROM videos WHERE id=?", (video_id,))
        self.bump(rebuild=[ch.name for ch in registered()])


def _mtime(path: Path) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0
