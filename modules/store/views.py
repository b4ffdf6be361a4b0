"""Read-only views of the catalogue as plain data: the library's list of videos with counts, a video's
description, its timeline of shots, and the captions of a library."""

from __future__ import annotations

import json
import sqlite3
from typing import Sequence

import numpy as np

from modules.channels import registered, text_channels


class Views:
    def videos(self) -> list[sqlite3.Row]:
        """Every video with its count of shots (``n_shots``) and of each text channel's rows (``n_dialogue``...)."""
        counts = []
        for ch in text_channels():
            if ch.table == "shots":
                sql = f"(SELECT count(*) FROM shots s WHERE s.video_id=v.id AND s.{ch.text_column} IS NOT NULL)"
            elif ch.table in self.tables:
                sql = f"(SELECT count(*) FROM {ch.table} t JOIN shots s ON t.shot_id=s.id WHERE s.video_id=v.id)"
            else:
                sql = "0"
            counts.append(f"{sql} AS n_{ch.name}")
        return self._all(f"SELECT v.*, (SELECT count(*) FROM shots s WHERE s.video_id=v.id) AS n_shots, "
                         f"{', '.join(counts)} FROM videos v ORDER BY v.name, v.id")

    def _lines(self, video_id: int) -> dict[str, list[sqlite3.Row]]:
        """Each text channel with its own rows: its lines of the video by time (with the shot's index)."""
        out = {}
        for ch in text_channels():
            if not ch.owns_table:
                continue
            out[ch.key] = self._all(
                f"SELECT t.shot_id, t.start_s, t.end_s, t.text, s.idx FROM {ch.table} t JOIN shots s "
                f"ON t.shot_id=s.id WHERE s.video_id=? ORDER BY t.start_s, t.id", (video_id,)
            ) if ch.table in self.tables else []
        return out

    def timeline(self, video_id: int) -> list[dict]:
        """The video's shots in order, each with its first keyframe's thumbnail, its caption and each text
        channel's lines (``dialogue``, ``screen_text``...)."""
        lines = self._lines(video_id)
        shots = {s["id"]: {"shot_id": s["id"], "index": s["idx"], "start_s": s["start_s"], "end_s": s["end_s"],
                           "thumb": "", "caption": s["caption"] or "", **{k: [] for k in lines}}
                 for s in self.shots_of(video_id)}
        for k in self._all("SELECT k.shot_id, k.thumb FROM keyframes k JOIN shots s ON k.shot_id=s.id "
                           "WHERE s.video_id=? ORDER BY k.time_s", (video_id,)):
            shots[k["shot_id"]]["thumb"] = shots[k["shot_id"]]["thumb"] or k["thumb"]
        for key, rows in lines.items():
            for r in rows:
                shots[r["shot_id"]][key].append({"start_s": r["start_s"], "text": r["text"]})
        return sorted(shots.values(), key=lambda s: s["index"])

    def describe(self, video_id: int) -> dict:
        """A video with its shots (keyframe times, caption) and each text channel's lines, as plain data."""
        v = self.video(video_id)
        shots = []
        for s in self.shots_of(video_id):
            kfs = self._all("SELECT time_s FROM keyframes WHERE shot_id=? ORDER BY time_s", (s["id"],))
            shot = {"start_s": round(s["start_s"], 3), "end_s": round(s["end_s"], 3),
                    "keyframes_s": [round(k["time_s"], 3) for k in kfs]}
            if s["caption"]:
                shot["caption"] = s["caption"]
            shots.append(shot)
        lines = {key: [{"start_s": round(r["start_s"], 3), "end_s": round(r["end_s"], 3), "text": r["text"],
                        "shot": r["idx"]} for r in rows] for key, rows in self._lines(video_id).items()}
        try:
            warnings = json.loads(v["warnings"] or "[]")
        except ValueError:
            warnings = []
        return {
            "id": v["id"], "path": v["path"], "name": v["name"], "duration_s": round(v["duration_s"] or 0.0, 3),
            "fps": v["fps"], "width": v["width"], "height": v["height"], "language": v["language"] or "",
            "warnings": warnings, "shots": shots, **lines,
        }


class Captions:
    def uncaptioned_shots(self) -> list[int]:
        return [r[0] for r in self._all("SELECT id FROM shots WHERE caption IS NULL ORDER BY id")]

    def set_captions(self, items: Sequence[tuple[int, str, str]], vectors: dict[str, np.ndarray],
                     spaces) -> None:
        """items: (shot_id, caption, caption_en); ``vectors``: model key -> (len(items), d); in one transaction."""
        from modules.channels import CAPTION

        with self.transaction():
            for shot_id, caption, caption_en in items:
                self._q("UPDATE shots SET caption=?, caption_en=? WHERE id=?", (caption, caption_en, shot_id))
            self.write_vectors(CAPTION, [i[0] for i in items], vectors, set(spaces))
            self.bump(rebuild=("caption",))

    def captioned_shots(self) -> list[sqlite3.Row]:
        """(path, start_s, end_s, caption) of every captioned shot, by video then shot."""
        return self._all("SELECT v.path, s.start_s, s.end_s, s.caption FROM shots s JOIN videos v ON s.video_id=v.id "
                         "WHERE s.caption IS NOT NULL AND s.caption != '' ORDER BY v.path, s.idx")


__all__ = ["Views", "Captions", "registered"]
