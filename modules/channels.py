"""Search channels: one definition each, read by the catalogue, the index caches, search,
reindex and the pages.

A channel is a kind of evidence a shot can match on: the picture (keyframe vectors from
the image-text model), the dialogue (spoken lines embedded by the text model), the
captions (shot captions embedded by the text model) and the text on screen (subtitles,
title cards and signs read by OCR, embedded by the text model). Each one says where its rows and
vectors live in the catalogue, which model family embeds it, which setting weighs it in
fusion, and how a hit's evidence names it. Adding a channel starts here.

A text channel is embedded by every configured text model (``Settings.text_models``); each
model's vectors of it are one *space*, named ``<channel>.<model key>`` (``dialogue.multilingual-e5-small``),
kept in the catalogue's ``vectors`` table and indexed on its own. The picture has one space, the
channel itself.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    name: str  # the key used everywhere: manifest, index file, settings, JSON
    table: str  # catalogue table with one row per vector
    vector_column: str  # the picture's vectors; for a text channel, where libraries before spaces kept them
    text_column: str  # what the row says (re-embedded by reindex); "" for the picture
    shot_column: str  # the column that names the row's shot ("id" when the row is the shot)
    model: str  # "visual" (image-text model) or "text" (sentence embedder)
    label: str  # how evidence names it to a person
    fts_table: str = ""  # a trigram index of the normalised text, for quotes and literal matches
    query_part: str = "picture"  # what of the query it embeds: "picture" or "dialogue" (quotes, else all)
    literal_unquoted: bool = False  # match the unquoted query literally too (signs are remembered word for word)
    how_to_fill: str = ""  # for a channel not every library has rows in: the command that fills it
    in_context: bool = False  # rows are pieces of sentences: embedded with their sentence (transcripts.py)

    @property
    def is_text(self) -> bool:
        return self.model == "text"

    @property
    def weight_setting(self) -> str:
        """The Settings field that weighs this channel in fusion."""
        return f"weight_{self.name}"


VISUAL = Channel("visual", "keyframes", "vec", "", "shot_id", "visual", "picture")
DIALOGUE = Channel("dialogue", "segments", "vec", "text", "shot_id", "text", "dialogue", fts_table="segments_fts",
                   query_part="dialogue", in_context=True)
CAPTION = Channel("caption", "shots", "caption_vec", "caption_en", "id", "text", "caption",
                  how_to_fill="python main.py ingest PATH --captions")
SCREEN = Channel("screen", "screen_texts", "vec", "text", "shot_id", "text", "on screen", fts_table="screen_texts_fts",
                 query_part="dialogue", literal_unquoted=True, how_to_fill="python main.py reindex --ocr")

CHANNELS: dict[str, Channel] = {c.name: c for c in (VISUAL, DIALOGUE, CAPTION, SCREEN)}
NAMES: tuple[str, ...] = tuple(CHANNELS)


def get(name: str) -> Channel:
    try:
        return CHANNELS[name]
    except KeyError:
        raise ValueError(f"unknown channel {name!r}; available = {list(CHANNELS)}") from None


def space(channel: str, model_key: str) -> str:
    """The name of one text model's vectors of a text channel: ``dialogue.multilingual-e5-small``."""
    return f"{channel}.{model_key}"


def channel_of(space_name: str) -> Channel:
    """The channel a space (or a channel name) belongs to."""
    return get(space_name.split(".", 1)[0])


def model_key_of(space_name: str) -> str:
    """The model key of a text space ("" for the picture channel)."""
    return space_name.split(".", 1)[1] if "." in space_name else ""
