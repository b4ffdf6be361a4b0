"""The channel interface: one kind of evidence a shot can match on, in one file.

A channel says

- what it stores: a table of rows (one per piece of evidence, each in one shot) and their vectors. A text
  channel's vectors are one *space* per text model (``dialogue.multilingual-e5-small``), kept in the
  catalogue's ``vectors`` table; the picture keeps its own beside its keyframes;
- what it produces from a decoded video (:meth:`Channel.reader`): during ingest's one decode a
  :class:`Reader` is offered the decoded frames and, once the shots are known, hands back its rows and
  vectors (:class:`Produced`) - or a Future of them, when they are still being computed;
- how it retrieves candidates for a query (:meth:`Channel.retrieve`): each shot it matched, with a
  :class:`ChannelMatch`;
- how it words its evidence for a person (:meth:`Channel.evidence`).

Ingest, the catalogue, search, reindex, the manifest and the pages iterate over the registered channels
(``modules.channels.registered()``); a new channel is one file and one ``register`` line.
"""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

if TYPE_CHECKING:  # only for annotations: a channel is handed these, it never imports its callers
    from modules.engines import Engines
    from modules.schema import ChannelStamp
    from modules.search.query import ParsedQuery
    from modules.schema import Keyframe, Shot, VideoInfo
    from modules.settings import Settings


@dataclass
class Row:
    """One piece of a channel's evidence in one shot: a spoken line, a line of text on screen."""

    shot_index: int
    start_s: float
    end_s: float
    text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # the channel's own columns (``Channel.columns``)


@dataclass
class Produced:
    """What a channel made of one video.

    ``vectors``: for a text channel, each text model's key -> ``(len(rows), d)``; for the picture, "" ->
    ``(len(keyframes), d)``. ``by`` names what read the video (kept per video, so a later run knows it was
    read, with nothing found too); ``failed`` says why it could not be read: the next ingest tries again."""

    rows: list[Row] = field(default_factory=list)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    by: str = ""
    failed: str = ""
    language: str = ""  # the language the video was found to speak ("" when this channel does not say)
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)


@dataclass
class Scan:
    """What ingest's one decode found, handed to each reader's ``finish``."""

    info: "VideoInfo"
    shots: list["Shot"]
    keyframes: list["Keyframe"]
    keyframe_rgb: list[np.ndarray]


@dataclass
class IngestJob:
    """One video being ingested, as a channel's reader sees it."""

    info: "VideoInfo"
    engines: "Engines"
    settings: "Settings"


class Reader:
    """One channel's work on one video during ingest. ``offer`` sees every decoded frame and ``cut`` hears of
    every cut (in the decode thread: keep them cheap, hand work to your own thread); ``finish`` returns :class:`Produced`, or a
    Future of it when it is still being computed; ``close`` stops what is left when the decode failed."""

    wants_frames = False

    def offer(self, t_s: float, frame) -> None:  # an av.VideoFrame
        """Called for each decoded frame when ``wants_frames``."""

    def cut(self, start_s: float) -> None:
        """Called when ``wants_frames`` and the decode finds a cut (a few frames late): a shot starts at
        ``start_s``."""

    def finish(self, scan: Scan) -> "Produced | cf.Future[Produced]":
        raise NotImplementedError

    def close(self) -> None:
        """The decode failed: stop any thread of this reader."""


@dataclass
class ChannelMatch:
    """How one row of a channel matched a query."""

    score: float  # raw similarity in the channel's own scale
    row_id: int  # the keyframe, segment, line or shot that matched
    time_s: float | None = None  # where in the video the match is seen or heard
    text: str = ""
    exact_quote: bool = False
    pair: str = ""  # "query>text" languages, e.g. "ko>en", for language-pair confidence curves
    rank_score: float | None = None  # what orders matches within the channel, when not ``score``
    model_scores: dict[str, float] = field(default_factory=dict)  # raw cosine per text model (its key)

    def key(self) -> tuple[bool, float]:
        """Order within a channel: quotes found verbatim first, then by rank score."""
        return self.exact_quote, self.score if self.rank_score is None else self.rank_score


@dataclass
class QueryContext:
    """What a channel needs to retrieve candidates for one query."""

    parsed: "ParsedQuery"
    library: Any  # modules.store.Library: reads go through it
    spaces: list[str]  # this channel's spaces that are searched (a text model of each is loaded)
    vectors: dict[str, dict[str, np.ndarray]]  # query part ("dialogue", "picture") -> model key -> vector
    allowed: np.ndarray | None  # row ids the filters allow (None: no filter)
    candidates: int  # per space, before fusion
    centre: Callable[[str, str, np.ndarray], np.ndarray] = lambda key, lang, vec: vec
    model_weights: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Channel:
    """A channel's declaration; subclasses add what it does (a text channel: ``channels/text.py``)."""

    name: str  # the key used everywhere: manifest, index file, settings, JSON
    label: str  # how evidence names it to a person
    table: str  # catalogue table with one row per piece of evidence ("keyframes", "shots" for the core ones)
    model: str = "text"  # "picture" (the image-text model) or "text" (every text model)
    text_column: str = "text"  # what the row says (re-embedded by reindex); "" for the picture
    shot_column: str = "shot_id"  # the column that names the row's shot ("id" when the row is the shot)
    vector_column: str = ""  # a column beside the rows holding the vectors (the picture's); "" = ``vectors``
    legacy_column: str = ""  # where libraries from before spaces kept a text channel's vectors
    columns: tuple[tuple[str, str], ...] = ()  # the channel's own columns (name, SQL type) of its rows table
    literal: bool = False  # a trigram index of the normalised text, for quotes and literal matches
    query_part: str = "dialogue"  # what of the query it embeds: "picture" or "dialogue" (quotes, else all)
    literal_unquoted: bool = False  # match the unquoted query literally too (signs are remembered word for word)
    how_to_fill: str = ""  # for a channel not every library has rows in: the command that fills it
    in_context: bool = False  # rows are pieces of sentences: embedded with their sentence (transcripts.py)
    centred: bool = False  # its query is centred (search/calibration.py: fitted on speech, for dialogue)
    shows_moment: bool = True  # its match says where in the shot to play from (a caption does not)
    text_order: int = 9  # which channel's text a hit shows first (lowest)
    default_weight: float = 1.0  # its weight in fusion when the settings name none
    json_key: str = ""  # its rows' key in a video's description and timeline ("" = its name)
    rows_are: str = "rows"  # what its rows are called when counted: "3 dialogue segments"
    count_none: bool = False  # an ingest says so when it found none ("0 dialogue segments": no speech heard)

    @property
    def key(self) -> str:
        return self.json_key or self.name

    @property
    def is_text(self) -> bool:
        return self.model == "text"

    @property
    def fts_table(self) -> str:
        return f"{self.table}_fts" if self.literal else ""

    @property
    def owns_table(self) -> bool:
        """Its rows are its own table's (not the core keyframes or shots)."""
        return self.table not in ("keyframes", "shots")

    # --- what it stores ----------------------------------------------------------------------
    def ddl(self) -> str:
        """The SQL that makes its rows table (and trigram index), for a library that lacks them."""
        if not self.owns_table:
            return ""
        own = "".join(f", {name} {kind}" for name, kind in self.columns)
        sql = (f"CREATE TABLE IF NOT EXISTS {self.table} (id INTEGER PRIMARY KEY, shot_id INTEGER NOT NULL "
               f"REFERENCES shots(id) ON DELETE CASCADE, start_s REAL NOT NULL, end_s REAL NOT NULL, "
               f"text TEXT NOT NULL, norm TEXT NOT NULL{own});\n"
               f"CREATE INDEX IF NOT EXISTS {self.table}_shot ON {self.table}(shot_id);\n")
        if self.literal:
            sql += (f"CREATE VIRTUAL TABLE IF NOT EXISTS {self.fts_table} USING fts5(norm, tokenize='trigram', "
                    f"content='{self.table}', content_rowid='id');\n")
        return sql

    @property
    def row_columns(self) -> str:
        """What a look-up by id reads: every column but vectors."""
        return ", ".join(["id", "shot_id", "start_s", "end_s", "text", "norm", *(n for n, _ in self.columns)])

    def stamps(self, engines: "Engines") -> dict[str, "ChannelStamp"]:
        """The model of each of its spaces, for the manifest."""
        from modules.schema import ChannelStamp

        return {space(self.name, m.key): ChannelStamp(m.identity, m.dim) for m in engines.texts}

    # --- what it produces -------------------------------------------------------------------
    def reader(self, job: IngestJob) -> Reader | None:
        """Its reader of one video, or None when it has nothing to read there (off, or filled later)."""
        return None

    # --- how it is searched and shown -------------------------------------------------------------
    def searchable(self, library, stamps: dict, models: set[str]) -> tuple[list[str], str]:
        """(its spaces that can be searched here, "on" or "off (why)"); ``models``: text model keys loaded."""
        kept = library.text_spaces(self.name)
        spaces = [sp for sp in kept if model_key_of(sp) in models]
        if not kept:
            return [], "off (no vectors in this library)"
        if not spaces:
            return [], "off (none of its text models is available here)"
        if self.how_to_fill and not any(library.has_vectors(sp) for sp in spaces):
            return [], f"off (nothing in this library yet; add it with: {self.how_to_fill})"
        return spaces, "on"

    def retrieve(self, ctx: QueryContext) -> dict[int, ChannelMatch]:
        """Shot id -> its best match for the query."""
        raise NotImplementedError

    def shown(self, text: str) -> str:
        """A row's text as a person is shown it (evidence, the hit's line); search keeps what was stored."""
        return text

    def evidence(self, m: ChannelMatch) -> str:
        """The match in words: ``dialogue 0.84: "The ticket office is closed today."``."""
        how = "exact quote" if m.exact_quote else f"{m.score:.2f}"
        return f"{self.label} {how}" + (f': "{m.text}"' if m.text else "")

    def own_probability(self, m: ChannelMatch) -> float | None:
        """How sure a match is where the channel's model says so itself (a face model's documented distance
        for one person); None: judged by a fitted curve (``curve_key``)."""
        return None

    def curve_key(self, m: ChannelMatch, library) -> str | None:
        """Which confidence curve judges a match: the text models that scored it, joined by "+"."""
        return "+".join(sorted(m.model_scores)) or None

    def curve_scores(self, m: ChannelMatch, weights) -> dict[str, float]:
        """The similarities a confidence curve is over (``weights``: the curve's inputs)."""
        return m.model_scores


def nearest(ctx: QueryContext, space_name: str, vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, row ids) of a space's ``ctx.candidates`` nearest rows the filters allow."""
    idx = ctx.library.index(space_name)
    if idx is None or (ctx.allowed is not None and len(ctx.allowed) == 0):
        return np.zeros(0), np.zeros(0, np.int64)
    scores, found = idx.search(vec, ctx.candidates, ctx.allowed)
    keep = found[0] >= 0
    return scores[0][keep], found[0][keep]


def best_per_shot(ctx: QueryContext, space_name: str, vec: np.ndarray, channel: "Channel",
                  match: Callable) -> dict[int, ChannelMatch]:
    """A channel of its own vectors (the picture, faces): each shot's best row near ``vec``, as
    ``match(score, row_id, row)``."""
    scores, ids = nearest(ctx, space_name, vec)
    rows = ctx.library.rows_by_id(channel, ids)
    best: dict[int, ChannelMatch] = {}
    for score, rid in zip(scores, ids):
        r = rows.get(int(rid))
        if r is not None and (r["shot_id"] not in best or score > best[r["shot_id"]].score):
            best[r["shot_id"]] = match(float(score), int(rid), r)
    return best


def space(channel: str, model_key: str) -> str:
    """The name of one text model's vectors of a text channel: ``dialogue.multilingual-e5-small``."""
    return f"{channel}.{model_key}"


def model_key_of(space_name: str) -> str:
    """The model key of a text space ("" for the picture channel)."""
    return space_name.split(".", 1)[1] if "." in space_name else ""
