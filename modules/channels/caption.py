"""Captions: a sentence per shot from the vision-language model (``ingest --captions``), kept on the shot
and embedded by every text model; searched by the query's picture text."""

from __future__ import annotations

from dataclasses import dataclass

from modules.channels.text import TextChannel


@dataclass(frozen=True)
class CaptionChannel(TextChannel):
    @property
    def row_columns(self) -> str:
        return "id, video_id, idx, start_s, end_s, caption, caption_en"


CAPTION = CaptionChannel("caption", "caption", "shots", text_column="caption_en", shot_column="id",
                         legacy_column="caption_vec", query_part="picture", shows_moment=False, text_order=2,
                         how_to_fill="python main.py ingest PATH --captions")
