"""Text to frame: a query in, the best moments of the library out.

The query is understood (``query.py``: quotes, the picture's part), encoded once per model, each
registered channel retrieves its candidates (``modules/channels``), the channels are fused
(``fusion.py``) and the moments become hits with their evidence and confidence (``hits.py``). When no
hit is confident the answer says "no confident match" and still shows the closest ones."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from models.translator import GoogleTranslator, TranslationUnavailable, needs_translation
from modules import ranking
from modules.channels import QueryContext, get, registered
from modules.engines import Engines, load_engines
from modules.errors import BadQuery
from modules.schema import Hit
from modules.search import fusion
from modules.search.calibration import read_calibration
from modules.search.hits import Confidence, Stamps, build_hit
from modules.search.query import ParsedQuery
from modules.search.result import CANDIDATES, SearchResult
from modules.search.request import allowed_rows, validate_request
from modules.search.similar import more_like_this
from modules.settings import Settings
from modules.store import Library

log = logging.getLogger(__name__)

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
        self._stamps = Stamps(self.lib)
        self.warnings = self.lib.check_models(stamps, for_write=False)
        self.warnings += [f"text model left out: {n}" for n in self.engines.text_notes]
        self.calibration, self.centring = read_calibration()
        self.model_weights: dict[str, float] = {}  # each text model's weight in its channel's sum (1.0 unnamed)
        models = {m.key for m in self.engines.texts}
        self.spaces: dict[str, list[str]] = {}
        self.channels: dict[str, str] = {}  # channel -> "on" or "off (why)"
        for ch in registered():
            self.spaces[ch.name], self.channels[ch.name] = ch.searchable(self.lib, stamps, models)
        vis = self.engines.visual
        self.translator = GoogleTranslator() if vis is not None and not vis.multilingual else None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode")
        for name, state in self.channels.items():  # load indexes now, not on the first query
            for sp in self.spaces[name] if state == "on" else ():
                self.lib.index(sp)

    def close(self) -> None:
        self.lib.close()
        self._pool.shutdown(wait=False)

    @property
    def confidence(self) -> Confidence:
        return Confidence(self.calibration, self._stamps)

    def weight(self, channel: str) -> float:
        return self.settings.weight_of(channel, get(channel).default_weight)

    # --- the query ---------------------------------------------------------------
    def search(self, query: str, top_k: int | None = None, video: str | None = None,
               from_s: float | None = None, to_s: float | None = None, face=None,
               face_index: int | None = None) -> SearchResult:
        """``face``: a photo (RGB) whose person is looked for (with the query, or alone: ``query`` "").
        A named person in the query (``people name``) keeps the answer to their shots.
        Raises BadQuery for an unusable query or a filter that matches nothing."""
        t0 = time.perf_counter()
        top_k = top_k or self.settings.top_k
        warnings = list(self.warnings)
        query, person = self._person(query, face, warnings)
        parsed = self._parse(query, top_k, from_s, to_s, face is not None or person is not None)
        if self.lib.count("videos") == 0:
            raise BadQuery(f"the library in {self.settings.db_dir}/ is empty; add videos with: python main.py ingest PATH")
        on = [ch for ch, state in self.channels.items() if state == "on"]
        allowed = self._only_person(allowed_rows(self.lib, on, video, from_s, to_s), person, on)
        timings: dict[str, float] = {}
        t = time.perf_counter()
        vectors = self._encode(parsed, warnings)
        if face is not None or person is not None:
            vectors["face"] = {"": self._face(face, face_index) if face is not None else person[2]}
        timings["encode_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        per_channel = self.retrieve(parsed, vectors, allowed)
        timings["retrieve_ms"] = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        judge = self.confidence
        hits = self.hits(fusion.gated_then_rest(per_channel, self._weights(per_channel), self.settings.rrf_k,
                                                self.settings.weight_quote, judge.passes), per_channel, top_k, judge)
        verdicts = [ranking.is_confident(h.confidence) for h in hits]
        hits = ranking.confident_first(hits, verdicts)
        timings["fuse_ms"] = (time.perf_counter() - t) * 1000
        timings["total_ms"] = (time.perf_counter() - t0) * 1000
        unc = judge.uncalibrated(per_channel)
        if hits and unc:
            warnings.append(
                f"confidence unknown for the {', '.join(unc)} channel: its model has no calibrated threshold "
                f"(python -m bench.quality --calibrate, with real weights)"
            )
        # no hit is vouched for by a calibrated channel, and one could judge: an uncalibrated picture
        # channel (no verdict) does not hide that nothing in the library was a confident match
        no_confident = bool(hits) and not any(v is True for v in verdicts) and any(v is False for v in verdicts)
        return SearchResult(query=parsed.text, hits=hits, no_confident_match=no_confident,
                            closest=hits[0] if no_confident and hits else None, warnings=warnings,
                            channels=dict(self.channels), timings_ms={k: round(v, 2) for k, v in timings.items()})

    @staticmethod
    def _parse(query: str, top_k: int, from_s, to_s, may_be_empty: bool) -> ParsedQuery:
        if may_be_empty and not (query or "").strip():
            validate_request("face", top_k, from_s, to_s)  # the filters and top_k are checked all the same
            return ParsedQuery("", (), "")
        return validate_request(query, top_k, from_s, to_s)

    def _person(self, query: str, face, warnings: list[str]):
        """(the query without a named person's name, (person id, name, centroid) or None)."""
        from modules.people import named_in

        if face is not None or self.channels.get("faces") != "on" or not (query or "").strip():
            return query, None
        people = {pid: (name, centroid) for pid, name, centroid in self.lib.people_centroids() if name}
        found = named_in(query, [(pid, name) for pid, (name, _) in people.items()])
        if found is None:
            return query, None
        pid, name, rest = found
        warnings.append(f"only shots of {name}")
        return rest, (pid, name, people[pid][1])

    def _only_person(self, allowed, person, on: list[str]):
        if person is None:
            return allowed
        shots = self.lib.shots_of_person(person[0])
        mine = {ch.name: self.lib.rows_of_shots(ch, shots) for ch in registered() if ch.name in on}
        return mine if allowed is None else {ch: np.intersect1d(allowed[ch], mine[ch]) for ch in mine}

    def _encode(self, parsed: ParsedQuery, warnings: list[str]) -> dict:
        """The query for each channel, encoded in parallel (torch and the text engines release the GIL):
        query part -> model key -> vector ("image": the picture model's, key "")."""
        vis_future = None
        if self.channels.get("visual") == "on" and parsed.picture_text and self.weight("visual") > 0:
            vis_text = self._visual_text(parsed.picture_text, warnings)
            vis_future = self._pool.submit(self.engines.visual.encode_texts, [vis_text])
        texts = [parsed.dialogue_text] + ([parsed.picture_text] if parsed.picture_text else [])
        text_vecs = {m.key: m.embed_queries(texts) for m in self.engines.texts} if parsed.text else {}
        out = {"dialogue": {k: v[0] for k, v in text_vecs.items()}}
        if parsed.picture_text:
            out["picture"] = {k: v[-1] for k, v in text_vecs.items()}
        if vis_future is not None:
            out["image"] = {"": vis_future.result()[0]}
        return out

    def _face(self, image, index: int | None):
        from modules.channels.faces import query_face

        if self.channels.get("faces") != "on" or self.engines.faces is None:
            raise BadQuery(f"search by a face needs the faces channel, which is {self.channels.get('faces', 'off')}"
                           + (f": {self.engines.faces_note}" if self.engines.faces is None else ""))
        return query_face(self.engines.faces, image, index)

    def retrieve(self, parsed: ParsedQuery, vectors: dict, allowed) -> fusion.Matches:
        """Each channel that is on (and weighs anything): shot id -> its best match."""
        out = {}
        for ch in registered():
            if self.channels[ch.name] != "on" or self.weight(ch.name) <= 0:
                continue
            ctx = QueryContext(parsed, self.lib, self.spaces[ch.name], vectors,
                               None if allowed is None else allowed[ch.name], CANDIDATES, self.centring.apply,
                               self.model_weights)
            out[ch.name] = ch.retrieve(ctx)
        return out

    def _weights(self, per_channel) -> dict[str, float]:
        return {ch: self.weight(ch) for ch in per_channel}

    def hits(self, fused, per_channel, top_k: int, judge: Confidence) -> list[Hit]:
        shots = self.lib.shots_by_id(s for s, _ in fusion.head(fused, top_k))
        return [build_hit(self.lib, shot_id, score, per_channel, judge)
                for shot_id, score in fusion.moments(fused, shots, top_k, self.settings.merge_gap_s)]

    def similar(self, video: str | None = None, at_s: float | None = None, image=None,
                top_k: int | None = None) -> SearchResult:
        """More like this (``similar.py``)."""
        return more_like_this(self, video, at_s, image, top_k)

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
