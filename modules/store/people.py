"""People: face tracks grouped into persons, each with a name and the mean of its faces (its centroid).
A track keeps its person across runs; a re-ingested video's tracks are new and are grouped again."""

from __future__ import annotations

import sqlite3
from typing import Iterable, Sequence

import numpy as np

from modules.language import normalize_for_match
from modules.store.connection import blob


class People:
    def _has_people(self) -> bool:
        return "people" in self.tables and "faces" in self.tables

    def face_tracks(self, unassigned: bool = False) -> list[tuple[int, np.ndarray]]:
        """(track id, unit descriptor) of every face track (only those in no person, with ``unassigned``)."""
        if not self._has_people():
            return []
        cond = "AND f.id NOT IN (SELECT face_id FROM face_people)" if unassigned else ""
        rows = self._all(f"SELECT f.id, v.vec FROM faces f JOIN vectors v ON v.space='faces' AND v.row_id=f.id "
                         f"WHERE 1 {cond} ORDER BY f.id")
        return [(r[0], np.frombuffer(r[1], np.float32)) for r in rows]

    def people(self) -> list[sqlite3.Row]:
        """Every person with their counts of tracks, shots and videos and their largest face's crop."""
        if not self._has_people():
            return []
        return self._all(
            """SELECT p.id, p.name, count(f.id) AS tracks, count(DISTINCT f.shot_id) AS shots,
                      count(DISTINCT s.video_id) AS videos,
                      (SELECT f2.crop FROM face_people m2 JOIN faces f2 ON f2.id=m2.face_id WHERE m2.person_id=p.id
                       ORDER BY f2.size DESC LIMIT 1) AS crop
               FROM people p JOIN face_people m ON m.person_id=p.id JOIN faces f ON f.id=m.face_id
               JOIN shots s ON s.id=f.shot_id GROUP BY p.id ORDER BY shots DESC, p.id""")

    def centroids(self) -> list[tuple[int, str, np.ndarray]]:
        if not self._has_people():
            return []
        return [(r[0], r[1], np.frombuffer(r[2], np.float32)) for r in self._all("SELECT id, name, centroid FROM people")]

    def add_person(self, centroid: np.ndarray, name: str = "") -> int:
        return int(self._q("INSERT INTO people(name, centroid) VALUES(?, ?)", (name, blob(centroid))).lastrowid)

    def assign(self, face_ids: Iterable[int], person_id: int) -> None:
        """Inside a transaction: the tracks are the person's (their text becomes the person's name)."""
        face_ids = [int(i) for i in face_ids]
        self._many("INSERT OR REPLACE INTO face_people(face_id, person_id) VALUES(?, ?)",
                   [(i, person_id) for i in face_ids])
        self._update_centroid(person_id)
        self._name_tracks(person_id)

    def name_person(self, person_id: int, name: str) -> None:
        with self.transaction():
            self._q("UPDATE people SET name=? WHERE id=?", (name, person_id))
            self._name_tracks(person_id)
            self.bump()

    def merge_people(self, keep: int, gone: int) -> None:
        """``gone``'s tracks become ``keep``'s (who keeps their name, or takes ``gone``'s if they had none)."""
        with self.transaction():
            name = self._q("SELECT name FROM people WHERE id=?", (gone,)).fetchone()[0]
            self._q("UPDATE face_people SET person_id=? WHERE person_id=?", (keep, gone))
            self._q("UPDATE people SET name=? WHERE id=? AND name=''", (name, keep))
            self._q("DELETE FROM people WHERE id=?", (gone,))
            self._update_centroid(keep)
            self._name_tracks(keep)
            self.bump()

    def person(self, person_id: int) -> sqlite3.Row | None:
        return self._q("SELECT id, name FROM people WHERE id=?", (person_id,)).fetchone() if self._has_people() else None

    def shots_of_person(self, person_id: int) -> list[int]:
        return [r[0] for r in self._all("SELECT DISTINCT f.shot_id FROM faces f JOIN face_people m ON m.face_id=f.id "
                                        "WHERE m.person_id=?", (person_id,))]

    def tracks_of_person(self, person_id: int) -> list[int]:
        return [r[0] for r in self._all("SELECT face_id FROM face_people WHERE person_id=? ORDER BY face_id",
                                        (person_id,))]

    def rows_of_shots(self, ch, shot_ids: Sequence[int]) -> np.ndarray:
        """Row ids of a channel's rows in the given shots."""
        ids = [int(i) for i in shot_ids]
        if not ids or (ch.table not in self.tables and ch.table != "shots"):
            return np.zeros(0, np.int64)
        marks = ",".join("?" * len(ids))
        col = "id" if ch.table == "shots" else ch.shot_column
        return np.asarray([r[0] for r in self._all(f"SELECT id FROM {ch.table} WHERE {col} IN ({marks})", ids)],
                          np.int64)

    def _update_centroid(self, person_id: int) -> None:
        rows = self._all("SELECT v.vec FROM face_people m JOIN vectors v ON v.space='faces' AND v.row_id=m.face_id "
                         "WHERE m.person_id=?", (person_id,))
        if rows:
            mean = np.mean([np.frombuffer(r[0], np.float32) for r in rows], axis=0)
            self._q("UPDATE people SET centroid=? WHERE id=?", (blob(mean / max(float(np.linalg.norm(mean)), 1e-9)),
                                                                 person_id))

    def _name_tracks(self, person_id: int) -> None:
        name = self._q("SELECT name FROM people WHERE id=?", (person_id,)).fetchone()[0]
        self._q("UPDATE faces SET text=?, norm=? WHERE id IN (SELECT face_id FROM face_people WHERE person_id=?)",
                (name, normalize_for_match(name), person_id))


class PeopleDoor:
    """The library's questions and changes about people (mixed into ``Library``)."""

    def people(self) -> list[dict]:
        return [dict(r) for r in self._catalog.people()]

    def person(self, person_id: int):
        return self._catalog.person(person_id)

    def people_centroids(self) -> list[tuple[int, str, np.ndarray]]:
        return self._catalog.centroids()

    def face_tracks(self, unassigned: bool = False) -> list[tuple[int, np.ndarray]]:
        return self._catalog.face_tracks(unassigned)

    def shots_of_person(self, person_id: int) -> list[int]:
        return self._catalog.shots_of_person(person_id)

    def rows_of_shots(self, channel, shot_ids) -> np.ndarray:
        return self._catalog.rows_of_shots(channel, shot_ids)

    def tracks_of_person(self, person_id: int) -> list[int]:
        return self._catalog.tracks_of_person(person_id)

    def group_into_people(self, groups: list[tuple[int | None, list[int]]]) -> None:
        """Each group of tracks to a person, in one transaction: an existing one (its id), or a new one (None)."""
        self._need_write()
        with self._catalog.transaction():
            for person_id, face_ids in groups:
                if person_id is None:
                    person_id = self._catalog.add_person(np.zeros(128, np.float32))
                self._catalog.assign(face_ids, person_id)
            self._catalog.bump()

    def name_person(self, person_id: int, name: str) -> None:
        self._need_write()
        self._catalog.name_person(person_id, name)

    def merge_people(self, keep: int, gone: int) -> None:
        self._need_write()
        self._catalog.merge_people(keep, gone)
