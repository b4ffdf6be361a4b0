"""The library's questions: what the rest of the engine may read, by name (the catalogue answers them).
What pages and commands show comes back as plain data (dicts: ``videos``, ``describe``, ``timeline``); what the
engine reads by the hundred comes back as ``sqlite3.Row`` (read by column name, like a dict)."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from modules.channels import Channel
from modules.schema import ChannelStamp
from modules.store.vector_index import VectorIndex


class LibraryReads:
    _catalog: "object"

    # --- the library's models and spaces ---------------------------------------------------------
    def channel_stamp(self, channel: str) -> ChannelStamp | None:
        return self.manifest.channel_stamp(channel)

    def index(self, space: str) -> VectorIndex | None:
        return self.indexes.get(space)

    def text_spaces(self, channel: str | None = None) -> list[str]:
        """The text spaces (a text model's vectors of a text channel) the library keeps."""
        return [sp for sp in self.manifest.spaces(channel) if "." in sp]

    def spaces(self, channel: str | None = None) -> list[str]:
        """Every space the library keeps with a model (of one channel): text spaces, the picture, faces."""
        return self.manifest.spaces(channel)

    def thumb_path(self, rel: str) -> Path | None:
        """The file a catalogue thumbnail entry names, or None when it would lie outside
        ``db_dir/thumbs`` (a tampered or damaged catalogue). Checked on the name alone (no disk
        access: a query shows five of them): relative, under thumbs/, no ".."."""
        norm = os.path.normpath(str(rel)) if isinstance(rel, str) else ""
        if os.path.isabs(norm) or not norm.startswith("thumbs" + os.sep) or ".." in norm.split(os.sep):
            return None
        return self.db_dir / norm

    # --- videos -----------------------------------------------------------------------------
    def video(self, video_id: int) -> sqlite3.Row | None:
        return self._catalog.video(video_id)

    def videos(self) -> list[dict]:
        """Every video with its counts: ``n_shots`` and ``n_<channel>`` for each text channel, as plain data."""
        return [dict(r) for r in self._catalog.videos()]

    def videos_matching(self, ref: str) -> list[sqlite3.Row]:
        """Videos an id, a path or a file name names."""
        return self._catalog.videos_matching(ref)

    def video_names(self) -> list[sqlite3.Row]:
        return self._catalog.video_names()

    def video_by_fingerprint(self, fingerprint: str) -> sqlite3.Row | None:
        return self._catalog.video_by_fingerprint(fingerprint)

    def video_by_path(self, path: Path) -> sqlite3.Row | None:
        return self._catalog.video_by_path(path)

    def fingerprints(self) -> set[str]:
        return self._catalog.fingerprints()

    def count(self, table: str) -> int:
        return self._catalog.count(table)

    def describe(self, video_id: int) -> dict:
        """A video with its shots and each text channel's lines, as plain data (``library --json``)."""
        return self._catalog.describe(video_id)

    def timeline(self, video_id: int) -> list[dict]:
        return self._catalog.timeline(video_id)

    def failed_channels(self, video_id: int) -> dict[str, str]:
        """Channel -> why it could not be read when the video was added (tried again by the next ingest)."""
        return self._catalog.failed_channels(video_id)

    def videos_unread(self, channel: Channel) -> list[sqlite3.Row]:
        return self._catalog.videos_unread(channel)

    # --- shots and keyframes ------------------------------------------------------------------------
    def shots_of(self, video_id: int) -> list[sqlite3.Row]:
        return self._catalog.shots_of(video_id)

    def shots_by_id(self, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
        return self._catalog.shots_by_id(ids)

    def shot_with_video(self, shot_id: int) -> sqlite3.Row | None:
        return self._catalog.shot_with_video(shot_id)

    def shot_at(self, video_id: int, time_s: float) -> int | None:
        return self._catalog.shot_at(video_id, time_s)

    def nearest_keyframe(self, shot_id: int, time_s: float) -> sqlite3.Row | None:
        return self._catalog.nearest_keyframe(shot_id, time_s)

    def keyframe_vector_near(self, video_id: int, time_s: float) -> tuple[int, np.ndarray | None]:
        return self._catalog.keyframe_vector_near(video_id, time_s)

    def keyframes_with_video(self) -> list[sqlite3.Row]:
        return self._catalog.keyframes_with_video()

    def shot_thumbs(self, shot_id: int, limit: int) -> list[str]:
        return self._catalog.shot_thumbs(shot_id, limit)

    def uncaptioned_shots(self) -> list[int]:
        return self._catalog.uncaptioned_shots()

    def captioned_shots(self) -> list[sqlite3.Row]:
        return self._catalog.captioned_shots()

    # --- channel rows and vectors -------------------------------------------------------------------
    def rows_in(self, channel: Channel, video_ids: Sequence[int], from_s: float, to_s: float) -> np.ndarray:
        return self._catalog.rows_in(channel, video_ids, from_s, to_s)

    def rows_by_id(self, channel: Channel, ids: Iterable[int]) -> dict[int, sqlite3.Row]:
        return self._catalog.rows_by_id(channel, ids)

    def texts(self, channel: Channel) -> list[sqlite3.Row]:
        return self._catalog.texts(channel)

    def texts_in_order(self, channel: Channel) -> list[sqlite3.Row]:
        return self._catalog.texts_in_order(channel)

    def literal_candidates(self, channel: Channel, norm: str, limit: int = 200) -> list[sqlite3.Row]:
        return self._catalog.literal_candidates(channel, norm, limit)

    def vectors_by_id(self, space: str, ids: Iterable[int]) -> dict[int, np.ndarray]:
        return self._catalog.vectors_by_id(space, ids)

    def vectors(self, space: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        return self._catalog.vectors(space, dim)

    def has_vectors(self, space: str) -> bool:
        return self._catalog.has_vectors(space)
