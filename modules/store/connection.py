"""The catalogue's SQLite connection: opening (read-only without ever writing), queries, transactions,
the meta table, and SQLite errors as what they mean for the user, with the next step.

A read-only catalogue (a read-only mount, a library being shared) is opened with ``mode=ro``, and where
even that needs a write (WAL readers create a ``-shm`` file) as ``immutable``: reading never writes.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import urllib.parse
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from modules.errors import LibraryDamaged, LibraryReadOnly, SceneFinderError


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


def connect(path: Path, writable: bool, schema: str) -> sqlite3.Connection:
    """A connection to the catalogue (made with ``schema`` when writable); raises typed errors."""
    try:
        if writable:
            conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(schema)
        else:
            conn = _open_read_only(path)
        conn.row_factory = sqlite3.Row
        return conn
    except sqlite3.Error as exc:
        raise as_user_error(exc, path) from exc


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


class Connection:
    """One SQLite connection. Reads are safe beside one writer (WAL); writes go through
    :meth:`transaction`."""

    def __init__(self, path: Path, conn: sqlite3.Connection, writable: bool):
        self.path = path
        self._conn = conn
        self.writable = writable
        # a library made by an older version, opened read-only, lacks the newer tables
        self.tables = {r[0] for r in self._all("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}

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

    def _many(self, sql: str, rows: Iterable[Sequence]) -> None:
        try:
            self._conn.executemany(sql, rows)
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
