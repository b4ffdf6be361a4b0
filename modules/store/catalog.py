"""The catalogue: the SQLite file that is the library's source of truth.

It holds videos, shots, keyframes, every channel's rows, every vector (float32 blobs: the pictures' beside
their keyframes, the text channels' in ``vectors``, one space per text model) and the meta table
(manifest, generation counters). The store is the only place that knows the schema; the rest of the
engine asks :class:`~modules.store.library.Library` questions by name. Its parts, by concern:
``connection.py`` (opening, errors, transactions, meta), ``tables.py`` (schema and moves of older
libraries), ``videos.py`` (videos, shots, keyframes), ``rows.py`` (channel rows and vectors, generic over
a channel), ``views.py`` (plain-data views, captions).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from modules.errors import LibraryMissing
from modules.store.connection import Connection, as_user_error, connect
from modules.store.people import People
from modules.store.rows import Rows
from modules.store.tables import Migrations, schema
from modules.store.videos import Videos
from modules.store.views import Captions, Views


class Catalog(Connection, Migrations, Videos, Rows, Views, Captions, People):
    def __init__(self, path: Path, conn, writable: bool):
        super().__init__(path, conn, writable)
        self._init_legacy()

    @classmethod
    def open(cls, path: Path, *, writable: bool) -> "Catalog":
        path = Path(path)
        conn = connect(path, writable, schema())
        try:
            has_meta = conn.execute("SELECT 1 FROM sqlite_master WHERE name='meta'").fetchone()
        except sqlite3.Error as exc:
            conn.close()
            raise as_user_error(exc, path) from exc
        if not has_meta:
            conn.close()
            raise LibraryMissing(f"{path} is not a Scene Finder library (no catalogue tables)")
        catalog = cls(path, conn, writable)
        if writable:
            catalog._migrate()
        return catalog
