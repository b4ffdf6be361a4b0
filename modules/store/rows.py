"""Each channel's rows and vectors, generic over the channel's declaration (``modules/channels``): written,
looked up by id, filtered by video and time, matched literally, re-embedded."""

from __future__ import annotations

import sqlite3
import time
from typing import Iterable, Sequence

import numpy as np

from modules.channels import Channel, Produced, Row, channel_of
from modules.language import normalize_for_match
from modules.store.connection import blob


class Rows:
    # --- writing (inside the caller's transaction) --------------------------------------------
    def insert_rows(self, ch: Channel, shot_ids: dict[int, int], rows: Sequence[Row]) -> list[int]:
        """A channel's rows of one video (``shot_ids``: shot index -> id); returns their ids."""
        if not ch.owns_table:
            raise ValueError(f"the {ch.name} channel's rows are the library's {ch.table}")
        own = [name for name, _ in ch.columns]
        cols = ", ".join(["shot_id", "start_s", "end_s", "text", "norm", *own])
        marks = ",".join("?" * (5 + len(own)))
        ids = []
        for r in rows:
            norm = normalize_for_match(r.text)
            rid = int(self._q(f"INSERT INTO {ch.table}({cols}) VALUES({marks})",
                              (shot_ids[r.shot_index], r.start_s, r.end_s, r.text, norm,
                               *(r.extra.get(n) for n in own))).lastrowid)
            if ch.literal:
                self._q(f"INSERT INTO {ch.fts_table}(rowid, norm) VALUES(?, ?)", (rid, norm))
            ids.append(rid)
        return ids

    def write_vectors(self, ch: Channel, row_ids: list[int], vectors: dict[str, np.ndarray], spaces: set[str]) -> None:
        """The rows' vectors: a text channel's of each text model whose space the library keeps; the
        picture's beside its rows."""
        for key, vecs in vectors.items():
            name = f"{ch.name}.{key}" if key else ch.name
            if len(vecs) != len(row_ids):
                raise ValueError(f"{len(vecs)} vectors of {name} for {len(row_ids)} rows")
            if ch.vector_column:
                self._many(f"UPDATE {ch.table} SET {ch.vector_column}=? WHERE id=?",
                           [(blob(v), rid) for rid, v in zip(row_ids, vecs)])
            elif name in spaces:
                self._many("INSERT OR REPLACE INTO vectors(space, row_id, vec) VALUES(?,?,?)",
                           [(name, rid, blob(v)) for rid, v in zip(row_ids, vecs)])

    def record_state(self, video_id: int, ch: Channel, produced: Produced) -> None:
        """What read the video for the channel, and why it failed (tried again by the next ingest)."""
        if produced.by or produced.failed:
            self._q("INSERT OR REPLACE INTO channel_state(video_id, channel, by, failed, at) VALUES(?,?,?,?,?)",
                    (video_id, ch.name, produced.by, produced.failed, time.time()))

    def add_rows(self, ch: Channel, video_id: int, produced: Produced, spaces: Iterable[str]) -> None:
        """A channel's rows of a video already in the library (``reindex --ocr``), in one transaction."""
        shot_ids = {r["idx"]: r["id"] for r in self._all("SELECT id, idx FROM shots WHERE video_id=?", (video_id,))}
        with self.transaction():
            ids = self.insert_rows(ch, shot_ids, produced.rows)
            self.write_vectors(ch, ids, produced.vectors, set(spaces))
            self.record_state(video_id, ch, produced)
            self.bump()

    # --- per video state --------------------------------------------------------------------------
    def failed_channels(self, video_id: int) -> dict[str, str]:
        """Channel -> why it failed when the video was added (speech recognition that could not run)."""
        if "channel_state" not in self.tables:
            return {}
        return {r["channel"]: r["failed"] for r in self._all(
            "SELECT channel, failed FROM channel_state WHERE video_id=? AND failed != ''", (video_id,))}

    def videos_unread(self, ch: Channel) -> list[sqlite3.Row]:
        """Videos the channel never read (added before the channel, or with it off)."""
        return self._all("SELECT v.* FROM videos v LEFT JOIN channel_state c ON c.video_id=v.id AND c.channel=? "
                         "AND c.by != '' WHERE c.video_id IS NULL ORDER BY v.id", (ch.name,))

    # --- vectors -------------------------------------------------------------------------------
    def _vector_source(self, space_name: str) -> tuple[str, str, tuple]:
        """(table, vector column, filter params) holding a space's vectors, as a FROM/WHERE fragment."""
        ch = channel_of(space_name)
        if ch.vector_column:
            return ch.table, ch.vector_column, ()
        legacy = self._legacy.get(space_name)
        if legacy is not None:
            return legacy.table, legacy.legacy_column, ()
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
            if ch.vector_column:
                self._q(f"UPDATE {ch.table} SET {ch.vector_column}=? WHERE id=?", (blob(vec), row_id))
            elif vec is None:
                self._q("DELETE FROM vectors WHERE space=? AND row_id=?", (space_name, row_id))
            else:
                self._q("INSERT OR REPLACE INTO vectors(space, row_id, vec) VALUES(?,?,?)", (space_name, row_id, blob(vec)))

    def drop_space(self, space_name: str) -> None:
        """Inside a transaction: every vector of a text space (a model the library no longer keeps)."""
        self._q("DELETE FROM vectors WHERE space=?", (space_name,))

    def vectors_by_id(self, space_name: str, ids: Iterable[int]) -> dict[int, np.ndarray]:
        """Stored vectors of a space's rows by id (rows without a vector are left out)."""
        ids = [int(i) for i in ids]
        if not ids or not self.has_space_table(space_name):
            return {}
        marks = ",".join("?" * len(ids))
        rows = self._select_vectors(space_name, f"{{id}} IN ({marks})", ids).fetchall()
        return {r[0]: np.frombuffer(r[1], np.float32) for r in rows}

    def has_space_table(self, space_name: str) -> bool:
        return bool(channel_of(space_name).vector_column) or "vectors" in self.tables or space_name in self._legacy

    # --- reading rows ----------------------------------------------------------------------------
    def texts(self, ch: Channel) -> list[sqlite3.Row]:
        """(id, text) of every row of a text channel that has text, for re-embedding."""
        if ch.table not in self.tables:
            return []
        return self._all(f"SELECT id, {ch.text_column} AS text FROM {ch.table} "
                         f"WHERE {ch.text_column} IS NOT NULL ORDER BY id")

    def texts_in_order(self, ch: Channel) -> list[sqlite3.Row]:
        """(id, video_id, shot_id, start_s, end_s, text) of every row of a per-shot text channel, by video and time:
        what ``transcripts.dialogue_vectors`` needs to embed pieces of sentences with their sentence."""
        return self._all(f"SELECT t.id, s.video_id, t.{ch.shot_column} AS shot_id, t.start_s, t.end_s, "
                         f"t.{ch.text_column} AS text "
                         f"FROM {ch.table} t JOIN shots s ON t.{ch.shot_column}=s.id "
                         f"WHERE t.{ch.text_column} IS NOT NULL ORDER BY s.video_id, t.start_s, t.id")

    def rows_in(self, ch: Channel, video_ids: Sequence[int], from_s: float, to_s: float) -> np.ndarray:
        """Row ids of ``ch`` in shots of ``video_ids`` that overlap ``from_s``..``to_s``."""
        marks = ",".join("?" * len(video_ids))
        cond = f"s.video_id IN ({marks}) AND s.end_s >= ? AND s.start_s <= ?"
        if ch.table == "shots":
            sql = f"SELECT s.id FROM shots s WHERE {cond}"
        else:
            sql = f"SELECT r.id FROM {ch.table} r JOIN shots s ON r.{ch.shot_column}=s.id WHERE {cond}"
        return np.asarray([r[0] for r in self._all(sql, (*video_ids, from_s, to_s))], np.int64)

    def rows_by_id(self, ch: Channel, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
        """A channel's rows by id (every column but vectors: a query reads a hundred candidates)."""
        ids = [int(i) for i in ids]
        if not ids or ch.table not in self.tables:
            return {}
        marks = ",".join("?" * len(ids))
        return {r["id"]: r for r in self._all(f"SELECT {ch.row_columns} FROM {ch.table} WHERE id IN ({marks})", ids)}

    def literal_candidates(self, ch: Channel, norm: str, limit: int = 200) -> list[sqlite3.Row]:
        """(id, norm) of the channel's rows sharing character trigrams with ``norm`` (or containing it,
        when it is too short for trigrams), best first."""
        table, fts = ch.table, ch.fts_table
        if table not in self.tables or fts not in self.tables:
            return []
        if len(norm) >= 3:
            grams = list(dict.fromkeys(norm[i : i + 3] for i in range(len(norm) - 2)))[:64]
            match = " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)
            return self._all(f"SELECT s.id, s.norm FROM {fts} f JOIN {table} s ON s.id=f.rowid "
                             f"WHERE {fts} MATCH ? ORDER BY f.rank LIMIT ?", (match, limit))
        return self._all(f"SELECT id, norm FROM {table} WHERE instr(norm, ?) > 0 LIMIT ?", (norm, limit))
