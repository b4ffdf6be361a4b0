"""The loaded models a process uses, built once from Settings.

``load_engines(settings)`` is cached per process (the Streamlit app wraps it in
``st.cache_resource`` too). A visual model that cannot be had switches the
visual channel off with one warning instead of failing: dialogue still works.
"""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass

from models.device import resolve_device
from models.image_text import ImageTextEncoder, load_image_text_encoder
from models.ocr import TextReader, load_text_reader
from models.text_embedder import TextEmbedder, load_text_embedder
from models.transcriber import Transcriber, load_transcriber
from models.weights import WeightsUnavailable
from modules.manifest import ChannelStamp
from modules.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Engines:
    device: str
    text: TextEmbedder
    visual: ImageTextEncoder | None
    visual_note: str = ""  # why the visual channel is off
    transcriber: Transcriber | None = None
    ocr: TextReader | None = None
    ocr_note: str = ""  # why the on-screen text channel is off

    def stamps(self) -> dict[str, ChannelStamp]:
        vis = (
            ChannelStamp(self.visual.identity, self.visual.dim)
            if self.visual
            else ChannelStamp(None, 0, note=self.visual_note)
        )
        text = ChannelStamp(self.text.identity, self.text.dim)
        # on-screen text is embedded by the text model; whether it was read is per video (screen_read)
        return {"visual": vis, "dialogue": text, "caption": text, "screen": text}

    def describe(self) -> dict[str, str]:
        return {
            "device": self.device,
            "visual": self.visual.identity if self.visual else f"off ({self.visual_note})",
            "text": self.text.identity,
            "asr": self.transcriber.name if self.transcriber else "not loaded",
            "ocr": self.ocr.identity if self.ocr else f"off ({self.ocr_note})",
        }


MODEL_FIELDS = ("device", "offline", "cache_dir", "text_model", "visual_model", "visual_pretrained", "visual_config",
                "embed_batch", "asr_backend", "asr_model", "asr_beam", "asr_batch", "ocr", "ocr_detect_side", "ocr_min_confidence", "threads")


def load_engines(settings: Settings, with_asr: bool = True, with_visual: bool = True,
                 with_ocr: bool | None = None) -> Engines:
    """The models for ``settings``, loaded once per process per model choice.

    ``with_visual=False`` skips the image-text model (a library without visual vectors
    needs none to be searched); ``with_asr=False`` skips speech recognition; the OCR
    reader loads with the ASR (for ingest) unless ``with_ocr`` says otherwise.
    """
    model_only = Settings(**{f: getattr(settings, f) for f in MODEL_FIELDS})
    return _load(model_only, with_asr, with_visual, with_asr if with_ocr is None else with_ocr)


@functools.lru_cache(maxsize=4)
def _load(settings: Settings, with_asr: bool, with_visual: bool, with_ocr: bool) -> Engines:
    device = resolve_device(settings.device)
    threads = settings.threads or os.cpu_count() or 1
    text = load_text_embedder(settings.text_model, device, settings.offline, threads)
    name, pretrained = settings.visual_choice
    visual, note = None, "not loaded: the library has no visual vectors"
    if with_visual:
        try:
            visual = load_image_text_encoder(
                name, pretrained, device, settings.visual_config, settings.offline, settings.embed_batch
            )
            note = ""
        except WeightsUnavailable as exc:
            note = f"no weights for {name}:{pretrained} on this machine"
            log.info("visual channel off: %s", exc)
    transcriber = None
    if with_asr:
        transcriber = load_transcriber(
            settings.asr_backend, settings.asr_choice, device, settings.cache_dir, settings.offline,
            cpu_threads=settings.threads, beam_size=settings.asr_beam_choice, batch_size=settings.asr_batch,
        )
    ocr, ocr_note = None, "not loaded"
    if not settings.ocr:
        ocr_note = "switched off (--no-ocr)"
    elif with_ocr:
        try:
            ocr = load_text_reader(settings.ocr_detect_side, settings.ocr_min_confidence, threads)
        except WeightsUnavailable as exc:
            ocr_note = str(exc)
            log.info("on-screen text channel off: %s", exc)
    return Engines(device, text, visual, note, transcriber, ocr, ocr_note)
