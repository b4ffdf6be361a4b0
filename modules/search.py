"""Text to frame: a query in, the best moments of the library out.

Each channel ranks shots on its own: the picture (image-text model against
keyframes), the dialogue (every text model against spoken lines, plus exact and
near-exact matching of quoted text), text on screen and captions. Within a text
channel each text model's similarities are taken as z-scores against that model's
own best candidates for the query and added up: the two models' scales differ, and
what a query has in common with every line stops counting. Across channels the ranking is
weighted reciprocal-rank fusion: a shot scores sum_c w_c / (k + rank_c), and a quoted
line found verbatim in its dialogue adds w_quote / (k + rank) once more, so a
shot ranked high by several channels beats one ranked high by a single one, and
scores of differently scaled models never have to be compared directly. A
channel with a calibrated threshold votes only for shots it matched above it.

Whether a result is trustworthy is decided per channel on its raw similarities,
by a logistic curve per set of text models and language pair calibrated on labelled
real speech (``python bench/quality.py --calibrate`` writes ``modules/calibration.json``);
the query's words found in order in a line make a match sure. When no hit is confident
the answer says "no confident match" and still shows the closest ones.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
import logging
import math
import re
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from models.translator import GoogleTranslator, TranslationUnavailable, needs_translation
from modules.engines import Engines, load_engines
from modules.errors import BadQuery
from modules.catalog import normalize_for_match
from modules.channels import CHANNELS, Channel, channel_of, model_key_of
from modules.library import Library
from modules import ranking
from modules.query import ParsedQuery, parse_query
from modules.schema import Hit, mmss
from modules.settings import Settings

log = logging.getLogger(__name__)

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")
CANDIDATES = 100  # per channel and model, before fusion
QUOTE_MATCH_MIN = 0.8  # character similarity for a "near-exact" quote (one word in five may differ)
# a quote found inside a longer line is played from where its words fall in the line (by its share of the
# line's characters), this much earlier
QUOTE_LEAD_S = 0.5
# an unquoted query found word for word in a line counts as a quote from this length on (normalised
# characters, and two words at least): "the ticket office" in "The ticket office is closed today."
WHOLE_QUERY_MIN_CHARS = 6
# weight of each text model's z-score in its channel's sum, by model key (1.0 where not named); chosen by
# bench/quality.py on two kinds of real speech
MODEL_WEIGHTS: dict[str, float] = {}


@dataclass
class ChannelMatch:
    score: float  # raw similarity in the channel's own scale
    row_id: int  # keyframe, segment or shot id that matched
    time_s: float | None = None
    text: str = ""
    exact_quote: bool = False
    pair: str = ""  # "query>text" languages, e.g. "ko>en", for language-pair thresholds
    rank_score: float | None = None  # what orders matches within the channel, when not ``score``
    model_scores: dict[str, float] = field(default_factory=dict)  # raw cosine per text model (its key)

    def key(self) -> tuple[bool, float]:
        """Order within a channel: quotes found verbatim first, then by rank score."""
        return self.exact_quote, self.score if self.rank_score is None else self.rank_score


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    no_confident_match: bool
    closest: Hit | None = None
    warnings: list[str] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        def hit(h: Hit) -> dict:
            d = asdict(h)
            d.pop("video_id"), d.pop("shot_id")
            return d

        out = {"query": self.query, "hits": [hit(h) for h in self.hits], "no_confident_match": self.no_confident_match}
        if self.closest is not None:
            out["closest"] = hit(self.closest)
        out["warnings"] = self.warnings
        out["channels"] = self.channels
        return out


@dataclass(frozen=True)
class Centring:
    """How much of its language's mean query a text model's query loses before candidates are ranked:
    what every short Korean query shares (it scores about 0.8 against any English line in e5) stops
    deciding the order. Fitted by bench/quality.py --calibrate; evidence and confidence keep the raw cosine."""

    shift: float
    means: dict[str, dict[str, np.ndarray]]  # model key -> query language -> mean query vector

    def apply(self, key: str, lang: str, vec: np.ndarray) -> np.ndarray:
        mean = self.means.get(key, {}).get(lang)
        if mean is None or not self.shift:
            return vec
        return np.ascontiguousarray(vec - self.shift * mean, dtype=np.float32)


NO_CENTRING = Centring(0.0, {})


def read_calibration(path: Path = CALIBRATION_FILE) -> tuple[dict[str, dict[str, ranking.Calibration]], Centring]:
    """What bench/quality.py --calibrate fitted:

    - {models: {"query>text" language pair or "*": curve}}, ``models`` being the text models' keys joined
      by "+" (sorted), or a picture model's identity. Multilingual embedders score two sentences of one
      language higher than a translation pair, so curves are kept per pair; "*" (fitted on every pair)
      serves pairs that were not measured;
    - the query centring (:class:`Centring`).
    """
    if not path.exists():
        return {}, NO_CENTRING
    data = json.loads(path.read_text())
    curves = {models: {pair: ranking.Calibration.from_json(c) for pair, c in pairs.items()}
              for models, pairs in data.get("curves", {}).items()}
    c = data.get("centring") or {}
    centring = Centring(float(c.get("shift", 0.0)), {key: {lang: np.asarray(v, np.float32) for lang, v in langs.items()}
                                                      for key, langs in c.get("means", {}).items()})
    return curves, centring


def query_language(text: str) -> str:
    """"ko" when the query has Hangul, else "en" (the pairs we calibrate)."""
    return "ko" if re.search(r"[\uac00-\ud7a3]", text) else "en"


class Searcher:
    """Holds the open library, its indexes and the query encoders; reuse it across queries."""

    def __init__(self, settings: Settings, engines: Engines | None = None):
        self.settings = settings
        self.lib = Library.open(settings.db_dir, exact_max=settings.exact_index_max)
        lib_visual = self.lib.channel_stamp("visual")
        self.engines = engines or load_engines(
            settings, with_asr=False, with_visual=lib_visual is None or lib_visual.model is not None
        )
        stamps = self.engines.stamps()
        self.warnings = self.lib.check_models(stamps, for_write=False)
        self.warnings += [f"text model left out: {n}" for n in self.engines.text_notes]
        self.calibration, self.centring = read_calibration()
        self._visual_stamp = lib_visual
        models = {m.key for m in self.engines.texts}
        # each text channel's spaces that the library keeps and a loaded model can query
        self.spaces = {ch: [sp for sp in self.lib.text_spaces(ch) if model_key_of(sp) in models]
                       for ch, spec in CHANNELS.items() if spec.is_text}
        self.channels = {ch: self._state(ch, spec, stamps) for ch, spec in CHANNELS.items()}
        vis = self.engines.visual
        self.translator = GoogleTranslator() if vis is not None and not vis.multilingual else None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode")
        for ch, state in self.channels.items():  # load indexes now, not on the first query
            if state == "on":
                for sp in self.spaces.get(ch, ["visual"]):
                    self.lib.index(sp)

    def _state(self, ch: str, spec: Channel, stamps) -> str:
        """"on", or "off (why)"."""
        if not spec.is_text:
            have = self._visual_stamp
            if have is None or have.model is None:
                return f"off ({(have.note if have else '') or 'no vectors in this library'})"
            if stamps[ch].model is None:
                return f"off ({stamps[ch].note})"
            return "on"
        if not self.lib.text_spaces(ch):
            return "off (no vectors in this library)"
        if not self.spaces[ch]:
            return "off (none of its text models is available here)"
        if spec.how_to_fill and not any(self.lib.catalog.has_vectors(sp) for sp in self.spaces[ch]):
            return f"off (nothing in this library yet; add it with: {spec.how_to_fill})"
        return "on"

    def close(self) -> None:
        self.lib.close()
        self._pool.shutdown(wait=False)

    # --- the query ---------------------------------------------------------------
    def search(self, query: str, top_k: int | None = None, video: str | None = None,
               from_s: float | None = None, to_s: float | None = None) -> SearchResult:
        """Raises BadQuery for an unusable query or a filter that matches nothing."""
        t0 = time.perf_counter()
        top_k = top_k or self.settings.top_k
        parsed = validate_request(query, top_k, from_s, to_s)
        warnings = list(self.warnings)
        if self.lib.count("videos") == 0:
            raise BadQuery(f"the library in {self.settings.db_dir}/ is empty; add videos with: python main.py ingest PATH")
        allowed = self._allowed(video, from_s, to_s)
        timings: dict[str, float] = {}

        # encode the query for each channel in parallel (torch and the text engines release the GIL)
        t = time.perf_counter()
        vis_future = None
        if self.channels["visual"] == "on" and parsed.picture_text:
            vis_text = self._visual_text(parsed.picture_text, warnings)
            vis_future = self._pool.submit(self.engines.visual.encode_texts, [vis_text])
        texts = [parsed.dialogue_text] + ([parsed.picture_text] if parsed.picture_text else [])
        text_vecs = {m.key: m.embed_queries(texts) for m in self.engines.texts}
        vis_vec = vis_future.result()[0] if vis_future else None
        timings["encode_ms"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        per_channel: dict[str, dict[int, ChannelMatch]] = {}
        for name, spec in CHANNELS.items():
            if self.channels[name] != "on" or self._weight(name) <= 0:
                continue
            if not spec.is_text:
                if vis_vec is not None:
                    per_channel[name] = self._visual(vis_vec, allowed)
            elif spec.query_part == "picture":
                if parsed.picture_text:
                    per_channel[name] = self._text(spec, parsed, {k: v[-1] for k, v in text_vecs.items()}, allowed)
            else:
                per_channel[name] = self._text(spec, parsed, {k: v[0] for k, v in text_vecs.items()}, allowed)
        timings["retrieve_ms"] = (time.perf_counter() - t) * 1000

        t = time.perf_counter()
        # shots a calibrated channel vouches for are ranked first (so a strong dialogue match is not
        # outvoted by a weak picture rank), then the rest: the answer always has top_k hits
        gated = self._fuse(per_channel)
        seen = {sid for sid, _ in gated}
        fused = gated + [(sid, sc) for sid, sc in self._fuse(per_channel, gate=False) if sid not in seen]
        hits = [self._hit(shot_id, score, per_channel) for shot_id, score in self._moments(fused, top_k)]
        verdicts = [ranking.is_confident(h.confidence) for h in hits]
        hits = ranking.confident_first(hits, verdicts)
        timings["fuse_ms"] = (time.perf_counter() - t) * 1000
        timings["total_ms"] = (time.perf_counter() - t0) * 1000

        unc = sorted({ch for ch, matches in per_channel.items()
                      if matches and all(self._calibration(ch, m) is None for m in matches.values())})
        if hits and unc:
            warnings.append(
                f"confidence unknown for the {', '.join(unc)} channel: its model has no calibrated threshold "
                f"(python bench/quality.py --calibrate, with real weights)"
            )
        # no hit is vouched for by a calibrated channel, and one could judge: an uncalibrated picture
        # channel (no verdict) does not hide that nothing in the library was a confident match
        no_confident = bool(hits) and not any(v is True for v in verdicts) and any(v is False for v in verdicts)
        return SearchResult(
            query=parsed.text,
            hits=hits,
            no_confident_match=no_confident,
            closest=hits[0] if no_confident and hits else None,
            warnings=warnings,
            channels=dict(self.channels),
            timings_ms={k: round(v, 2) for k, v in timings.items()},
        )

    def similar(self, video: str | None = None, at_s: float | None = None, image: np.ndarray | None = None,
                top_k: int | None = None) -> SearchResult:
        """More like this: shots whose pictures look like a frame of a video (a library id, name or
        path, or any video file, at ``at_s``) or like an ``image`` (RGB uint8). The frame's own shot is
        left out. Raises BadQuery when the picture channel is off (with how to turn it on)."""
        top_k = top_k or self.settings.top_k
        check_top_k(top_k)
        if self.channels["visual"] != "on":
            raise BadQuery(_PICTURE_OFF.format(state=self.channels["visual"]))
        own_shot, label = None, "the image"
        if image is None:
            if video is None or at_s is None or not math.isfinite(at_s) or at_s < 0:
                raise BadQuery("give a video (id, name or file) and --at SECONDS, or --image FILE")
            rows = self.lib.catalog.videos_matching(video)
            path = Path(rows[0]["path"]) if rows else Path(video)
            label = f"{path.name} at {mmss(at_s, tenths=True)}"
            if rows:
                own_shot = self.lib.catalog.shot_at(rows[0]["id"], at_s)
            if path.is_file():
                from modules.media import sample_frames

                frames = sample_frames(path, at_s, at_s + 0.04, 1, width=self.settings.thumb_width)
                if not frames:
                    raise BadQuery(f"{path.name} has no frame at {at_s} s")
                image = frames[0]
            elif rows:  # the file is gone: its keyframe nearest the time still has a picture vector
                own_shot, vec = self.lib.catalog.keyframe_vector_near(rows[0]["id"], at_s)
                if vec is None:
                    raise BadQuery(f"{path.name} is no longer there and has no picture vector near {at_s} s")
            else:
                raise BadQuery(f"no video {video!r} in the library or on disk; see: python main.py library")
        if image is not None:
            vec = self.engines.visual.encode_images([image])[0]
        matches = self._visual(vec, None)
        matches.pop(own_shot, None)
        per_channel = {"visual": matches}
        fused = self._fuse(per_channel, gate=False)
        hits = [self._hit(shot_id, score, per_channel) for shot_id, score in self._moments(fused, top_k)]
        warnings = list(self.warnings)
        if all(self._calibration("visual", m) is None for m in matches.values()):
            warnings.append("ranked by picture similarity; the picture model has no calibrated threshold")
        return SearchResult(query=f"more like {label}", hits=hits, no_confident_match=False, warnings=warnings,
                            channels=dict(self.channels))

    def _visual_text(self, text: str, warnings: list[str]) -> str:
        if self.translator is None or not needs_translation(text):
            return text
        if self.settings.offline:
            warnings.append("offline: the query was not translated for the English-only visual model")
            return text
        try:
            return self.translator.to_english(text)
        except TranslationUnavailable as exc:
            warnings.append(f"query not translated for the English-only visual model ({exc}); used as written")
            return text

    # --- filters -------------------------------------------------------------------
    def _allowed(self, video: str | None, from_s: float | None, to_s: float | None) -> dict[str, np.ndarray] | None:
        """Row ids each channel may return under the filters; None when there is no filter."""
        if not video and from_s is None and to_s is None:
            return None
        rows = self.lib.catalog.video_names()
        want = _nfc(video) if video else None
        exact = [r["id"] for r in rows if want and want in (_nfc(r["name"]), _nfc(r["path"]))]
        vids = exact or [r["id"] for r in rows if _name_matches(want, r)]
        if not vids:
            raise BadQuery(f"no video in the library matches {video!r}; see: python main.py library")
        lo = from_s if from_s is not None else -1.0
        hi = to_s if to_s is not None else 1e12
        return {ch: self.lib.catalog.rows_in(spec, vids, lo, hi) for ch, spec in CHANNELS.items()
                if self.channels[ch] == "on"}

    # --- channels ------------------------------------------------------------------------
    def _search(self, channel: str, vec: np.ndarray, allowed) -> tuple[np.ndarray, np.ndarray]:
        idx = self.lib.index(channel)
        if idx is None:
            return np.zeros(0), np.zeros(0, np.int64)
        ids = None if allowed is None else allowed[channel_of(channel).name]
        if ids is not None and len(ids) == 0:
            return np.zeros(0), np.zeros(0, np.int64)
        scores, found = idx.search(vec, CANDIDATES, ids)
        keep = found[0] >= 0
        return scores[0][keep], found[0][keep]

    def _visual(self, vec, allowed) -> dict[int, ChannelMatch]:
        scores, ids = self._search("visual", vec, allowed)
        rows = self.lib.catalog.by_id("keyframes", ids)
        best: dict[int, ChannelMatch] = {}
        for score, kid in zip(scores, ids):
            r = rows.get(int(kid))
            if r is not None and (r["shot_id"] not in best or score > best[r["shot_id"]].score):
                best[r["shot_id"]] = ChannelMatch(float(score), int(kid), r["time_s"])
        return best

    def _text(self, spec: Channel, parsed: ParsedQuery, qvecs: dict[str, np.ndarray], allowed) -> dict[int, ChannelMatch]:
        """A text channel: each of its spaces (text models) by meaning, plus literal matches of the
        quotes (for on-screen text, of the whole query: signs are remembered word for word; for
        dialogue, of a query of two words or more found word for word in a line).

        Ranked by the sum over models of each model's z-score, of the centred query (:class:`Centring`),
        against its own top candidates (``ranking.zscores``); each match keeps its raw cosines (or, when
        a quote was found in it, its character similarity if higher) for evidence and confidence."""
        query = parsed.picture_text if spec.query_part == "picture" else parsed.dialogue_text
        qlang = query_language(query)
        found, refs, ranked_by = set(), {}, {}
        for sp in self.spaces[spec.name]:
            key = model_key_of(sp)
            ranked_by[sp] = self.centring.apply(key, qlang, qvecs[key])
            scores, ids = self._search(sp, ranked_by[sp], allowed)
            refs[sp] = scores
            found.update(int(i) for i in ids)
        literal: dict[int, tuple[float, float]] = {}  # row -> (similarity, where in its text the words start)
        if spec.fts_table:
            for text, whole in self._literals(spec, parsed):
                for row_id, sim, at in self._literal_matches(spec, text, allowed):
                    if (not whole or sim >= 1.0) and sim > literal.get(row_id, (0.0, 0.0))[0]:
                        literal[row_id] = (sim, at)  # an unquoted query counts only word for word
        wanted = found | set(literal)
        rows = self.lib.catalog.by_id(spec.table, wanted)
        raw, z = {}, {}  # space -> row -> raw cosine, and the z-score the row is ranked by
        for sp in refs:
            stored = self.lib.catalog.vectors_by_id(sp, wanted)
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
            sim, at = literal.get(row_id, (0.0, 0.0))
            text = r[spec.text_column] or ""
            lang = r["language"] if "language" in r.keys() else query_language(text)
            start = r["start_s"]
            if sim >= QUOTE_MATCH_MIN and at > 0 and "end_s" in r.keys():  # play from the words, not the line
                start += max(0.0, at * (r["end_s"] - r["start_s"]) - QUOTE_LEAD_S)
            m = ChannelMatch(max(sum(scores.values()) / len(scores), sim), row_id, start, text,
                             sim >= QUOTE_MATCH_MIN, f"{qlang}>{lang or 'en'}",
                             rank_score=sum(MODEL_WEIGHTS.get(model_key_of(sp), 1.0) * z[sp][row_id]
                                            for sp in refs if row_id in z[sp]), model_scores=scores)
            cur = best.get(r[spec.shot_column])
            if cur is None or m.key() > cur.key():
                best[r[spec.shot_column]] = m
        return best

    @staticmethod
    def _literals(spec: Channel, parsed: ParsedQuery) -> list[tuple[str, bool]]:
        """(text to find literally, whether it is the unquoted query) for a text channel."""
        if parsed.quotes:
            return [(q, False) for q in parsed.quotes]
        if spec.literal_unquoted:
            return [(parsed.text, False)]
        whole = parsed.dialogue_text
        if len(whole.split()) >= 2 and len(normalize_for_match(whole)) >= WHOLE_QUERY_MIN_CHARS:
            return [(whole, True)]
        return []

    def _literal_matches(self, spec: Channel, literal: str, allowed) -> list[tuple[int, float, float]]:
        """(row id, similarity, where in the row's text the match starts, 0-1) of rows whose text holds
        ``literal`` after normalisation (case, width, spacing, punctuation), exactly (similarity 1.0) or
        nearly (best-aligned character similarity). A row shorter than the literal (a sign inside a longer
        query) counts by how much of the literal it covers."""
        norm = normalize_for_match(literal)
        if not norm:
            return []
        rows = self.lib.catalog.literal_candidates(spec, norm)
        ok = None if allowed is None else set(allowed[spec.name].tolist())
        out = []
        for r in rows:
            if ok is not None and r["id"] not in ok:
                continue
            text = r["norm"]
            if len(text) >= len(norm):
                sim, at = _partial_similarity(norm, text)
            else:
                sim, at = _partial_similarity(text, norm)[0] * (len(text) / len(norm)) ** 0.5, 0.0
            out.append((int(r["id"]), sim, at))
        return out

    # --- fusion ----------------------------------------------------------------------------
    def _weight(self, channel: str) -> float:
        return float(getattr(self.settings, CHANNELS[channel].weight_setting))

    def _fuse(self, per_channel: dict[str, dict[int, ChannelMatch]], gate: bool = True) -> list[tuple[int, float]]:
        """Each channel's shots ranked by (verbatim quote, raw score), fused by ``ranking.fuse``; a
        remembered line found (nearly) verbatim, spoken or on screen, votes once more with its own
        weight. With ``gate``, only the shots a calibrated channel matched confidently are ranked (by
        every channel that matched them): an uncalibrated channel (a picture model without a curve) is
        never promoted by the gate over a line that was matched, if not confidently."""
        ranked, verbatim = {}, {}
        vouched = {sid for ch, matches in per_channel.items() for sid, m in matches.items()
                   if self._passes(ch, m) is True} if gate else None
        for ch, matches in per_channel.items():
            keep = [(sid, m) for sid, m in matches.items() if vouched is None or sid in vouched]
            ranked[ch] = [sid for sid, m in sorted(keep, key=lambda kv: kv[1].key(), reverse=True)]
            for sid, m in matches.items():
                if m.exact_quote and (sid not in verbatim or m.score > verbatim[sid].score):
                    verbatim[sid] = m
        quoted = [sid for sid, _ in sorted(verbatim.items(), key=lambda kv: kv[1].score, reverse=True)]
        weights = {ch: self._weight(ch) for ch in ranked}
        return ranking.fuse(ranked, weights, self.settings.rrf_k, quoted, self.settings.weight_quote)

    def _moments(self, fused, top_k: int) -> list[tuple[int, float]]:
        """Top shots, one per moment: a shot next to (or within merge_gap_s of) a better one of the
        same video is the same moment and is folded into it. Where that leaves fewer than ``top_k``,
        the folded shots come back, best first: the answer has ``top_k`` hits whenever that many
        shots matched at all."""
        if not fused:
            return []
        head = fused[: max(top_k * 8, 50)]
        info = self.lib.catalog.by_id("shots", [s for s, _ in head])
        kept: list[tuple[int, float]] = []
        folded: list[tuple[int, float]] = []
        spans: list[tuple[int, float, float]] = []  # (video, start, end) of kept moments
        gap = self.settings.merge_gap_s
        for shot_id, score in head:
            r = info.get(shot_id)
            if r is None:
                continue
            if any(v == r["video_id"] and r["start_s"] <= e + gap and r["end_s"] >= s - gap for v, s, e in spans):
                folded.append((shot_id, score))
                continue
            kept.append((shot_id, score))
            spans.append((r["video_id"], r["start_s"], r["end_s"]))
            if len(kept) == top_k:
                return kept
        back = {sid for sid, _ in (folded + fused[len(head):])[: top_k - len(kept)]}
        keep = {sid for sid, _ in kept} | back
        return [(sid, sc) for sid, sc in fused if sid in keep]  # in the fused order

    def _calibration(self, channel: str, match: ChannelMatch) -> ranking.Calibration | None:
        """The confidence curve for a match: by the set of models that scored it and its language pair."""
        models = "+".join(sorted(match.model_scores)) if CHANNELS[channel].is_text else (
            self._visual_stamp.model if self._visual_stamp else None)
        curves = self.calibration.get(models) if models else None
        if not curves:
            return None
        return curves.get(match.pair) or curves.get("*")

    def _probability(self, channel: str, m: ChannelMatch) -> float | None:
        cal = self._calibration(channel, m)
        # a text match has a similarity per model; a picture curve is over its one model's similarity
        scores = m.model_scores if CHANNELS[channel].is_text else {k: m.score for k in (cal.weights if cal else ())}
        return ranking.probability(scores, cal, m.exact_quote)

    def _passes(self, channel: str, m: ChannelMatch) -> bool | None:
        return ranking.is_confident(self._probability(channel, m))

    def _hit(self, shot_id: int, score: float, per_channel) -> Hit:
        r = self.lib.catalog.shot_with_video(shot_id)
        scores = {ch: round(m[shot_id].score, 4) for ch, m in per_channel.items() if shot_id in m}
        found = {ch: per_channel[ch][shot_id] for ch in CHANNELS if shot_id in per_channel.get(ch, {})}
        vis, dia, cap, scr = (found.get(ch) for ch in ("visual", "dialogue", "caption", "screen"))
        # the frame shown: where the line is spoken (or the text is on screen), else the best-matching
        # keyframe, else the shot's middle
        said = max((m for m in (dia, scr) if m is not None), key=lambda m: (m.exact_quote, m.score), default=None)
        if said is not None and (vis is None or said.exact_quote or said.score >= vis.score):
            frame_s = said.time_s
        elif vis is not None:
            frame_s = vis.time_s
        else:
            frame_s = (r["start_s"] + r["end_s"]) / 2
        frame_s = min(max(frame_s, r["start_s"]), r["end_s"])  # word timings can lead the cut by a frame or two
        kf = self.lib.catalog.nearest_keyframe(shot_id, frame_s)
        thumb = self.lib.thumb_path(kf["thumb"]) if kf is not None else None
        evidence = []
        for ch, m in found.items():
            how = "exact quote" if m.exact_quote else f"{m.score:.2f}"
            evidence.append(f"{CHANNELS[ch].label} {how}" + (f': "{m.text}"' if m.text else ""))
        text = next((m.text for m in (dia, scr, cap) if m is not None and m.text), r["caption"] or "")
        p = ranking.combine(self._probability(ch, m) for ch, m in found.items())
        return Hit(
            video=r["path"], video_id=r["vid"], shot_id=shot_id,
            shot_start_s=round(r["start_s"], 3), shot_end_s=round(r["end_s"], 3), frame_s=round(frame_s, 3),
            score=round(score, 5), scores={ch: scores.get(ch) for ch in CHANNELS},
            text=text, thumbnail=str(thumb.resolve()) if thumb is not None else "",
            evidence="; ".join(evidence),
            confidence=None if p is None else round(p, 3), confident=bool(ranking.is_confident(p)),
            confidence_label=ranking.label(p),
            details={ch: {k: round(v, 4) for k, v in m.model_scores.items()} for ch, m in found.items()
                     if CHANNELS[ch].is_text},
        )


_PICTURE_OFF = ("'more like this' compares pictures, and the picture channel is {state}. Turn it on with "
                "image-text weights (./setup.sh on a machine with a network, or --visual-pretrained PATH), then "
                "run: python main.py reindex")


def picture_channel_off(lib: Library) -> str:
    """Why "more like this" cannot run on this library before any model loads ("" when it may)."""
    stamp = lib.channel_stamp("visual")
    if stamp is None or stamp.model is None:
        return _PICTURE_OFF.format(state=f"off ({(stamp.note if stamp else '') or 'no picture vectors in this library'})")
    return ""


def validate_request(query: str, top_k: int, from_s: float | None, to_s: float | None) -> ParsedQuery:
    """Check a request before anything loads; raises BadQuery with what to change."""
    for name, v in (("--from", from_s), ("--to", to_s)):
        if v is not None and not math.isfinite(v):
            raise BadQuery(f"{name} must be a number of seconds (got {v})")
    check_top_k(top_k)
    if (from_s is not None and from_s < 0) or (to_s is not None and to_s < 0):
        raise BadQuery("--from and --to are seconds from the start of a video and cannot be negative")
    if from_s is not None and to_s is not None and from_s > to_s:
        raise BadQuery(f"--from ({from_s}) is after --to ({to_s})")
    return parse_query(query)


def check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= 100:
        raise BadQuery(f"--top-k must be between 1 and 100 (got {top_k})")


def _nfc(text: str) -> str:
    """File names come in NFC or NFD (macOS writes Korean decomposed): compare them composed."""
    return unicodedata.normalize("NFC", text)


def _name_matches(pattern: str | None, row) -> bool:
    if not pattern:
        return True
    name = _nfc(row["name"]).casefold()
    p = _nfc(pattern).casefold()
    if any(ch in p for ch in "*?["):
        return fnmatch.fnmatch(name, p) or fnmatch.fnmatch(_nfc(row["path"]).casefold(), p)
    return p in name


def _partial_similarity(needle: str, hay: str) -> tuple[float, float]:
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


# --- CLI helpers ------------------------------------------------------------------------------


def search_cli(args, settings: Settings) -> SearchResult:
    validate_request(args.query, args.top_k or settings.top_k, args.from_s, args.to_s)  # before any model loads
    Library.open(settings.db_dir).close()  # so is a missing library
    searcher = Searcher(settings)
    try:
        return searcher.search(args.query, args.top_k, args.video, args.from_s, args.to_s)
    finally:
        searcher.close()
