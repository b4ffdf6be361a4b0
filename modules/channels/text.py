"""What every text channel shares: rows of text embedded by every text model, searched by meaning in
each model's space and literally (quotes, signs remembered word for word).

Ranked by the sum over models of each model's z-score, of the (centred) query, against its own top
candidates (``ranking.zscores``): the two models' scales differ, and what a query has in common with
every line stops counting. Each match keeps its raw cosines (or, when a quote was found in it, its
character similarity if higher) for evidence and confidence.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import numpy as np

from modules import ranking
from modules.channels.base import Channel, ChannelMatch, QueryContext, model_key_of, nearest
from modules.language import normalize_for_match, query_language

QUOTE_MATCH_MIN = 0.8  # character similarity for a "near-exact" quote (one word in five may differ)
# a quote found inside a longer line is played from where its words fall in the line (by its share of the
# line's characters), this much earlier
QUOTE_LEAD_S = 0.5
# an unquoted query found word for word in a line counts as a quote from this length on (normalised
# characters, and two words at least): "the ticket office" in "The ticket office is closed today."
WHOLE_QUERY_MIN_CHARS = 6


@dataclass(frozen=True)
class TextChannel(Channel):
    def embed(self, engines, texts: list[str]) -> dict[str, np.ndarray]:
        """Every text model's vectors of ``texts`` (the rows of one video), by model key."""
        return {m.key: m.embed_passages(texts) for m in engines.texts}

    def retrieve(self, ctx: QueryContext) -> dict[int, ChannelMatch]:
        parsed = ctx.parsed
        query = parsed.picture_text if self.query_part == "picture" else parsed.dialogue_text
        if not query:
            return {}
        qvecs = ctx.vectors[self.query_part]
        qlang = query_language(query)
        found, refs, ranked_by = set(), {}, {}
        for sp in ctx.spaces:
            key = model_key_of(sp)
            ranked_by[sp] = ctx.centre(key, qlang, qvecs[key]) if self.centred else qvecs[key]
            scores, ids = nearest(ctx, sp, ranked_by[sp])
            refs[sp] = scores
            found.update(int(i) for i in ids)
        literal = self._literal(ctx)
        wanted = found | set(literal)
        rows = ctx.library.rows_by_id(self, wanted)
        raw, z = {}, {}  # space -> row -> raw cosine, and the z-score the row is ranked by
        for sp in refs:
            stored = ctx.library.vectors_by_id(sp, wanted)
            if not stored:
                raw[sp] = z[sp] = {}
                continue
            q = qvecs[model_key_of(sp)]
            mat = np.stack(list(stored.values()))
            cos = mat @ q
            ranked = cos if ranked_by[sp] is q else mat @ ranked_by[sp]  # the same query when not centred
            raw[sp] = dict(zip(stored, cos.tolist()))
            z[sp] = dict(zip(stored, ranking.zscores(ranked, refs[sp]).tolist()))
        best: dict[int, ChannelMatch] = {}
        for row_id in wanted:
            r = rows.get(row_id)
            scores = {model_key_of(sp): raw[sp][row_id] for sp in refs if row_id in raw[sp]}
            if r is None or not scores:
                continue
            rank = sum(ctx.model_weights.get(model_key_of(sp), 1.0) * z[sp][row_id] for sp in refs if row_id in z[sp])
            m = self._match(r, row_id, scores, literal.get(row_id, (0.0, 0.0)), qlang, rank)
            cur = best.get(r[self.shot_column])
            if cur is None or m.key() > cur.key():
                best[r[self.shot_column]] = m
        return best

    def _match(self, r, row_id: int, scores: dict[str, float], literal: tuple[float, float], qlang: str,
               rank: float) -> ChannelMatch:
        sim, at = literal
        text = r[self.text_column] or ""
        lang = r["language"] if "language" in r.keys() else query_language(text)
        text = self.shown(text)
        start = r["start_s"]
        if sim >= QUOTE_MATCH_MIN and at > 0 and "end_s" in r.keys():  # play from the words, not the line
            start += max(0.0, at * (r["end_s"] - r["start_s"]) - QUOTE_LEAD_S)
        return ChannelMatch(max(sum(scores.values()) / len(scores), sim), row_id, start, text,
                            sim >= QUOTE_MATCH_MIN, f"{qlang}>{lang or 'en'}", rank_score=rank, model_scores=scores)

    # --- literal matching --------------------------------------------------------------------------
    def _literal(self, ctx: QueryContext) -> dict[int, tuple[float, float]]:
        """Row -> (similarity, where in its text the words start) of rows found literally."""
        literal: dict[int, tuple[float, float]] = {}
        if not self.literal:
            return literal
        for text, whole in self.literals(ctx.parsed):
            for row_id, sim, at in self._literal_matches(ctx, text):
                if (not whole or sim >= 1.0) and sim > literal.get(row_id, (0.0, 0.0))[0]:
                    literal[row_id] = (sim, at)  # an unquoted query counts only word for word
        return literal

    def literals(self, parsed) -> list[tuple[str, bool]]:
        """(text to find literally, whether it is the unquoted query)."""
        if parsed.quotes:
            return [(q, False) for q in parsed.quotes]
        if self.literal_unquoted:
            return [(parsed.text, False)]
        whole = parsed.dialogue_text
        if len(whole.split()) >= 2 and len(normalize_for_match(whole)) >= WHOLE_QUERY_MIN_CHARS:
            return [(whole, True)]
        return []

    def _literal_matches(self, ctx: QueryContext, literal: str) -> list[tuple[int, float, float]]:
        """(row id, similarity, where in the row's text the match starts, 0-1) of rows whose text holds
        ``literal`` after normalisation, exactly (1.0) or nearly (best-aligned character similarity). A row
        shorter than the literal (a sign inside a longer query) counts by how much of the literal it covers."""
        norm = normalize_for_match(literal)
        if not norm:
            return []
        ok = None if ctx.allowed is None else set(ctx.allowed.tolist())
        out = []
        for r in ctx.library.literal_candidates(self, norm):
            if ok is not None and r["id"] not in ok:
                continue
            text = r["norm"]
            if len(text) >= len(norm):
                sim, at = partial_similarity(norm, text)
            else:
                sim, at = partial_similarity(text, norm)[0] * (len(text) / len(norm)) ** 0.5, 0.0
            out.append((int(r["id"]), sim, at))
        return out


def partial_similarity(needle: str, hay: str) -> tuple[float, float]:
    """(similarity of ``needle`` to its best-aligned window of ``hay`` (1.0 = contained), where that
    window starts as a fraction of ``hay``'s length)."""
    if not needle or not hay:
        return 0.0, 0.0
    if needle in hay:
        return 1.0, hay.index(needle) / len(hay)
    if len(hay) <= len(needle):
        return difflib.SequenceMatcher(None, needle, hay).ratio(), 0.0
    n = len(needle)
    starts = list(range(0, len(hay) - n + 1, max(1, n // 4))) + [len(hay) - n]  # and the tail window
    best, at = max((difflib.SequenceMatcher(None, needle, hay[i : i + n]).ratio(), i) for i in starts)
    return best, at / len(hay)
