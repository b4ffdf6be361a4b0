"""The loaded models a process uses, built once from Settings.

``load_engines(settings)`` is cached per process (the Streamlit app wraps it in
``st.cache_resource`` too). A visual model that cannot be had switches the
visual channel off with one warning instead of failing: dialogue still works.
The models ingest needs besides the text embedder (the picture model, the speech
recogniser, the text-on-screen reader) load in background threads: ingest starts
decoding while they load, and ``engines.visual`` / ``.transcriber`` / ``.ocr`` wait
for theirs only where it is used. A load that fails raises (the recogniser) or
switches its channel off with a note (the picture, the text on screen) at that point.
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import functools
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from models.device import resolve_device
from models.faces import load_face_model
from models.image_text import ImageTextEncoder, load_image_text_encoder
from models.ocr import TextReader, load_text_reader
from models.text_embedder import TextEmbedder, load_text_embedder
from models.transcriber import Transcriber, load_transcriber
from models.weights import WeightsUnavailable
from modules.channels import registered
from modules.schema import ChannelStamp
from modules.settings import MODEL_FIELDS, Settings

log = logging.getLogger(__name__)


@dataclass
class Engines:
    device: str
    texts: tuple[TextEmbedder, ...]  # the text models, each embedding every text channel (at least one)
    # each model below, or a Future of it while it loads (of (model or None, why it is off) for two)
    _visual: ImageTextEncoder | None | cf.Future
    _visual_note: str = ""
    _transcriber: Transcriber | None | cf.Future = None
    _ocr: TextReader | None | cf.Future = None
    _ocr_note: str = ""
    # an ingest's share of the cores for the picture tower: its decode, ASR and reader keep the rest busy
    picture_threads: int = 0
    text_notes: tuple[str, ...] = ()  # configured text models that could not be had here, and why
    faces_wanted: bool = True  # the faces channel is on (loaded on first use: 0.6 s, in the thread that needs it)
    _faces: object = None
    _faces_note: str = ""
    _faces_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock, repr=False)

    @property
    def faces(self):
        """The face model (loaded on first use), None when the channel is off; ``faces_note`` says why."""
        with self._faces_lock:
            if self._faces is None and not self._faces_note:
                if not self.faces_wanted:
                    self._faces_note = "switched off (--no-faces)"
                else:
                    try:
                        self._faces = load_face_model()
                    except WeightsUnavailable as exc:
                        log.warning("faces channel off: %s", exc)
                        self._faces_note = str(exc)
            return self._faces

    @property
    def faces_note(self) -> str:
        return "" if self.faces is not None else self._faces_note

    @property
    def faces_loaded(self) -> bool:
        """The channel is on (its model loads, or says why not, when first used)."""
        return self.faces_wanted

    @property
    def text(self) -> TextEmbedder:
        """The first text model (what needs one model only: a caption's evidence, a quick look)."""
        return self.texts[0]

    @property
    def visual(self) -> ImageTextEncoder | None:
        self._settle()
        return self._visual

    @property
    def visual_note(self) -> str:
        """Why the visual channel is off ("" when it is on)."""
        self._settle()
        return self._visual_note

    @property
    def visual_ready(self) -> bool:
        return not isinstance(self._visual, cf.Future) or self._visual.done()

    @property
    def transcriber(self) -> Transcriber | None:
        """The speech recogniser (waits for its load; raises what made the load fail)."""
        if isinstance(self._transcriber, cf.Future):
            self._transcriber = self._transcriber.result()
        return self._transcriber

    @property
    def asr_loaded(self) -> bool:
        """A recogniser was asked for: loaded, or still loading."""
        return self._transcriber is not None

    @property
    def ocr(self) -> TextReader | None:
        """The text-on-screen reader (waits for its load), None when the channel is off."""
        if isinstance(self._ocr, cf.Future):
            self._ocr, self._ocr_note = self._ocr.result()
        return self._ocr

    @property
    def ocr_note(self) -> str:
        """Why the on-screen text channel is off ("" when it is on)."""
        return "" if self.ocr is not None else self._ocr_note

    @property
    def ocr_loaded(self) -> bool:
        """A reader was asked for: loaded, or still loading (its load may yet switch the channel off)."""
        return self._ocr is not None

    def _settle(self) -> None:
        if isinstance(self._visual, cf.Future):
            self._visual, self._visual_note = self._visual.result()

    def stamps(self) -> dict[str, ChannelStamp]:
        """The model of every registered channel's spaces (a text channel: one per text model); whether a
        channel read a video (the text on screen) is per video, in the catalogue."""
        out: dict[str, ChannelStamp] = {}
        for ch in registered():
            out.update(ch.stamps(self))
        return out

    def describe(self) -> dict[str, str]:
        return {
            "device": self.device,
            "visual": self.visual.identity if self.visual else f"off ({self.visual_note})",
            "text": ", ".join(f"{m.identity} ({m.backend})" for m in self.texts)
                    + "".join(f"; off: {n}" for n in self.text_notes),
            "asr": self.transcriber.name if self.transcriber else "not loaded",
            "ocr": self.ocr.identity if self.ocr else f"off ({self.ocr_note})",
        }



def load_engines(settings: Settings, with_asr: bool = True, with_visual: bool = True,
                 with_ocr: bool | None = None) -> Engines:
    """The models for ``settings``, loaded once per process per model choice.

    ``with_visual=False`` skips the image-text model (a library without visual vectors
    needs none to be searched); ``with_asr=False`` skips speech recognition; the OCR
    reader loads with the ASR (for ingest) unless ``with_ocr`` says otherwise.
    """
    model_only = Settings(**{f: getattr(settings, f) for f in MODEL_FIELDS})
    model_only = dataclasses.replace(model_only, cache_dir=usable_cache(settings.cache_dir, settings.db_dir))
    return _load(model_only, with_asr, with_visual, with_asr if with_ocr is None else with_ocr)


def usable_cache(cache_dir: Path, db_dir: Path) -> Path:
    """``cache_dir`` where weights can be written there (or are there already), else ``.cache`` inside the
    library, said once: a read-only home must not fail every file of an ingest."""
    if _writable(cache_dir) or (cache_dir / "faster-whisper-base" / "model.bin").is_file():
        return cache_dir
    fallback = Path(db_dir) / ".cache"
    if (cache_dir, fallback) not in _SAID:
        _SAID.add((cache_dir, fallback))
        log.warning("the model cache %s cannot be written; using %s instead (set SCENE_FINDER_CACHE_DIR to "
                    "choose another)", cache_dir, fallback)
    return fallback


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-test-"):
            return True
    except OSError:
        return False


_SAID: set = set()


@functools.lru_cache(maxsize=4)
def _load(settings: Settings, with_asr: bool, with_visual: bool, with_ocr: bool) -> Engines:
    device = resolve_device(settings.device)
    threads = settings.threads or os.cpu_count() or 1
    # the slowest first: the picture model, then the recogniser, then the reader; the text embedder
    # (0.2 s) here, as the library's model check needs its identity before anything is written
    # (a process that ingests embeds only pictures with it; one that searches needs its text side too)
    visual = _BACKGROUND.submit(_load_visual, settings, device, not with_asr) if with_visual else None
    transcriber = None
    if with_asr:
        transcriber = _BACKGROUND.submit(
            load_transcriber, settings.asr_backend, settings.asr_choice, device, settings.cache_dir, settings.offline,
            cpu_threads=settings.threads, beam_size=settings.asr_beam_choice, batch_size=settings.asr_batch,
        )
    ocr, ocr_note = None, "not loaded"
    if not settings.ocr:
        ocr_note = "switched off (--no-ocr)"
    elif with_ocr:
        ocr = _BACKGROUND.submit(_load_ocr, settings, threads)
    texts, notes = load_text_embedders(settings.text_model_names, device, settings.offline, threads)
    visual_note = "" if with_visual else "not loaded: the library has no visual vectors"
    # a quarter of the cores: on 2 cores one thread, 16% fewer core-seconds a keyframe than two, which only
    # wait on each other beside the other stages (a search, in the app too, embeds a picture on all of them)
    return Engines(device, texts, visual, visual_note, transcriber, ocr, ocr_note, picture_threads=max(1, threads // 4),
                   text_notes=notes, faces_wanted=settings.faces)


def load_text_embedders(names, device: str, offline: bool, threads: int) -> tuple[tuple[TextEmbedder, ...],
                                                                                  tuple[str, ...]]:
    """The configured text models that can be had here, and a note for each that cannot. Raises
    WeightsUnavailable when none can: dialogue cannot be searched without one."""
    texts, notes, problems = [], [], []
    for name in names:
        try:
            model = load_text_embedder(name, device, offline, threads)
        except WeightsUnavailable as exc:
            problems.append(exc)
            notes.append(str(exc))
            log.warning("text model %s left out: %s", name, exc)
            continue
        if all(m.key != model.key for m in texts):
            texts.append(model)
    if not texts:
        raise problems[0] if problems else WeightsUnavailable("no text model configured (--text-models)")
    return tuple(texts), tuple(notes)


# one thread a model: each load overlaps the others and the first video's decode
_BACKGROUND = cf.ThreadPoolExecutor(max_workers=3, thread_name_prefix="load")


def _load_ocr(settings: Settings, threads: int) -> tuple[TextReader | None, str]:
    try:
        # the reader runs beside the decode and the ASR: half the cores, so the three do not oversubscribe
        return load_text_reader(settings.ocr_detect_side, settings.ocr_min_confidence, max(1, threads // 2),
                                settings.ocr_gate_side), ""
    except WeightsUnavailable as exc:
        log.info("on-screen text channel off: %s", exc)
        return None, str(exc)


def _load_visual(settings: Settings, device: str, texts: bool) -> tuple[ImageTextEncoder | None, str]:
    name, pretrained = settings.visual_choice
    try:
        encoder = load_image_text_encoder(
            name, pretrained, device, settings.visual_config, settings.offline, settings.embed_batch
        )
        if texts:
            encoder.prepare_texts()
        return encoder, ""
    except WeightsUnavailable as exc:
        log.info("visual channel off: %s", exc)
        return None, f"no weights for {name}:{pretrained} on this machine"
