"""Dialogue: transcribe a video's audio, cut it into per-shot segments, and embed them in context.

A spoken line that runs across a cut is split at the cut by its word timings
(each word goes to the shot that holds its midpoint), so every Segment belongs
to exactly one shot and a quote is found on the shot where it is said. A piece
shorter than ``MIN_PIECE_S`` and than half the piece next to it (a word or two
either side of a cut) is not split off: it stays with that longer piece, whose shot
is where the line is heard, and playing from that segment starts with the line.

Cut that way, a line becomes pieces ("That password does not meet" | "the minimum
requirements for this" | "mailbox."), and a piece alone means little. Each segment is
therefore embedded as its whole sentence (the consecutive segments up to a sentence end),
mixed with a little of its own words (the weight was chosen on bench/quality.py's tuning half
of real speech cut by film-like shots; the README quotes what it gained).
"""

from __future__ import annotations

import bisect
from typing import Sequence

import numpy as np

from models.text_embedder import TextEmbedder
from models.transcriber import SpokenLine, Transcript, ends_sentence
from modules.schema import Segment, Shot

NO_SPACE_LANGUAGES = {"zh", "ja", "th", "lo", "my"}
JOIN_GAP_S = 1.5  # a pause longer than this ends a sentence even without punctuation
OWN_WEIGHT = 0.3  # how much of a segment's own words is mixed into its sentence's vector
# a piece of a line this short stays with its neighbour: cut off alone ("You", 0.1 s, before a cut) it
# would carry its whole sentence's vector and outrank, in a shot where nothing is said, the line itself
MIN_PIECE_S = 1.0


def sentence_contexts(items: Sequence[tuple[float, float, str]]) -> list[str]:
    """For segments of one video in time order, (start_s, end_s, text) each, the sentence each
    one belongs to: it and its neighbours joined while no sentence ends between them."""
    out: list[str] = []
    i = 0
    while i < len(items):
        j = i
        while (j + 1 < len(items) and not ends_sentence(items[j][2])
               and items[j + 1][0] - items[j][1] <= JOIN_GAP_S):
            j += 1
        sentence = " ".join(t.strip() for _, _, t in items[i : j + 1])
        out.extend([sentence] * (j - i + 1))
        i = j + 1
    return out


def dialogue_vectors(embedder: TextEmbedder, items: Sequence[tuple[float, float, str]]) -> np.ndarray:
    """The vectors stored for dialogue segments (one video, time order): the sentence's vector plus
    ``OWN_WEIGHT`` times the segment's own, L2-normalised."""
    if not items:
        return np.zeros((0, embedder.dim), np.float32)
    owns = [t for _, _, t in items]
    contexts = sentence_contexts(items)
    unique = list(dict.fromkeys(owns + contexts))  # a piece that is a whole sentence is embedded once
    vecs = embedder.embed_passages(unique)
    at = {t: k for k, t in enumerate(unique)}
    mixed = vecs[[at[c] for c in contexts]] + OWN_WEIGHT * vecs[[at[t] for t in owns]]
    return np.ascontiguousarray(mixed / np.linalg.norm(mixed, axis=1, keepdims=True), dtype=np.float32)


def split_by_shots(transcript: Transcript, shots: Sequence[Shot]) -> list[Segment]:
    if not shots:
        return []
    starts = [s.start_s for s in shots]

    def shot_at(t: float) -> int:
        return max(0, bisect.bisect_right(starts, t) - 1)

    out: list[Segment] = []
    for line in transcript.lines:
        out.extend(_split_line(line, shot_at, transcript.language))
    return out


def _split_line(line: SpokenLine, shot_at, language: str) -> list[Segment]:
    if not line.words:
        mid = (line.start_s + line.end_s) / 2
        return [Segment(shot_at(mid), line.start_s, line.end_s, line.text.strip(), language)]
    groups: list[list] = []
    current = None
    for w in line.words:
        shot = shot_at((w.start_s + w.end_s) / 2)
        if shot != current:
            groups.append([shot, []])
            current = shot
        groups[-1][1].append(w)
    _merge_short_pieces(groups)
    segs = []
    for shot, words in groups:
        text = "".join(w.text for w in words).strip()
        if not text:
            continue
        segs.append(Segment(shot, words[0].start_s, words[-1].end_s, text, language))
    return segs


def _merge_short_pieces(groups: list[list]) -> None:
    """In place: a group of words (one shot's piece of a line) shorter than MIN_PIECE_S and than half
    its longer neighbour joins that neighbour, taking its shot; repeated while one does."""
    def length(g) -> float:
        return g[1][-1].end_s - g[1][0].start_s

    while len(groups) > 1:
        merges = []
        for i, g in enumerate(groups):
            j = max((k for k in (i - 1, i + 1) if 0 <= k < len(groups)), key=lambda k: length(groups[k]))
            if length(g) < MIN_PIECE_S and length(g) < 0.5 * length(groups[j]):
                merges.append((length(g), i, j))
        if not merges:
            return
        _, i, j = min(merges)  # the shortest piece first
        first, second = sorted((i, j))
        groups[first] = [groups[j][0], groups[first][1] + groups[second][1]]
        del groups[second]
