"""The catalogue's tables: the core ones (videos, shots, keyframes, vectors, per-video channel state)
written here, each channel's own rows table declared by its channel (``Channel.ddl``); and the moves
that bring a library made by an older version up to date on its first writable open."""

from __future__ import annotations

from models.text_embedder import model_key
from modules.channels import Channel, registered, text_channels

SCHEMA_VERSION = 1

_CORE = """
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
-- per video and channel: what read it (the text on screen: read, with nothing found too) and why it failed
-- (speech recognition that could not run): a failed channel is tried again by the next ingest
CREATE TABLE IF NOT EXISTS channel_state (
    video_id INTEGER NOT NULL REFERENCES videos(id) ON DELETE CASCADE, channel TEXT NOT NULL,
    by TEXT NOT NULL DEFAULT '', failed TEXT NOT NULL DEFAULT '', at REAL, PRIMARY KEY (video_id, channel)
);
-- the text channels' vectors, one space per text model ("dialogue.multilingual-e5-small"): row_id is the
-- id of the channel's row (a segment, a line of text on screen, a shot for its caption). A rowid table
-- with its key beside it: 1.5-2 KB rows inside a WITHOUT ROWID b-tree made a query's 200 look-ups 5x slower
CREATE TABLE IF NOT EXISTS vectors (
    space TEXT NOT NULL, row_id INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (space, row_id)
);
"""


def schema() -> str:
    """Every table of a library with the channels registered now."""
    return _CORE + "".join(ch.ddl() for ch in registered())


class Migrations:
    """A library made before spaces kept each text channel's vectors beside its rows (one model a
    channel); one from before ``channel_state`` kept two tables for it. Both move on the first writable
    open, in one transaction; read-only, the old layout is read in place."""

    def _init_legacy(self) -> None:
        # space -> its channel, for a library whose text vectors have not moved
        self._legacy: dict[str, Channel] = {} if self.meta("vectors_moved") else self._legacy_spaces()

    def _legacy_spaces(self) -> dict[str, Channel]:
        channels = (self.meta("manifest", {}) or {}).get("channels", {})
        out = {}
        for ch in text_channels():
            stamp = channels.get(ch.name) if isinstance(channels, dict) else None
            if isinstance(stamp, dict) and stamp.get("model") and ch.legacy_column:
                out[f"{ch.name}.{model_key(stamp['model'])}"] = ch
        return out

    def named_as_spaces(self, channels: dict) -> dict:
        """A manifest's channel stamps with each text channel of a library from before spaces renamed to
        the space its vectors are (``dialogue`` -> ``dialogue.multilingual-e5-small``) and stamped with the
        model, not its backend; a text channel that was off is left out (its spaces start when it is on).
        A library made with spaces has no such names: its stamps come back as they are."""
        if not isinstance(channels, dict):
            return channels
        out = {k: v for k, v in channels.items() if k not in {ch.name for ch in text_channels()}}
        for space, ch in self._legacy.items():
            out[space] = {**channels[ch.name], "model": channels[ch.name]["model"].split("@")[0]}
        return out

    def _migrate(self) -> None:
        self._move_text_vectors()
        self._move_channel_state()

    def _move_text_vectors(self) -> None:
        if self.meta("vectors_moved"):
            return
        with self.transaction():
            for space, ch in self._legacy.items():
                if ch.table in self.tables:
                    col = ch.legacy_column
                    self._q(f"INSERT OR REPLACE INTO vectors(space, row_id, vec) SELECT ?, id, {col} "
                            f"FROM {ch.table} WHERE {col} IS NOT NULL", (space,))
                    self._q(f"UPDATE {ch.table} SET {col}=NULL WHERE {col} IS NOT NULL")
            manifest = self.meta("manifest", {}) or {}
            if isinstance(manifest, dict) and "channels" in manifest:
                self.set_meta("manifest", {**manifest, "channels": self.named_as_spaces(manifest["channels"])})
            self.set_meta("vectors_moved", 1)
            self.bump(rebuild=[ch.name for ch in text_channels()])
        self._legacy = {}

    def _move_channel_state(self) -> None:
        if self.meta("channel_state_moved"):
            return
        with self.transaction():
            if "dialogue_failed" in self.tables:
                self._q("INSERT OR IGNORE INTO channel_state(video_id, channel, failed, at) "
                        "SELECT video_id, 'dialogue', reason, failed_at FROM dialogue_failed")
            if "screen_read" in self.tables:
                self._q("INSERT OR IGNORE INTO channel_state(video_id, channel, by, at) "
                        "SELECT video_id, 'screen', reader, read_at FROM screen_read")
            self.set_meta("channel_state_moved", 1)
