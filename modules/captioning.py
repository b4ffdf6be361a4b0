"""Video to text: caption a trimmed span of a video, with its dialogue, and caption the
shots of a library so that search gains a caption channel.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from models.captioner import CAPTION_PRESETS, PROMPTS, AdapterProblem, VLMCaptioner, load_captioner
from models.device import resolve_device
from models.weights import WeightsUnavailable
from modules.errors import AdapterError, BadSpan
from modules.media import decode_audio, probe, sample_frames
from modules.settings import Settings

log = logging.getLogger(__name__)
LANGS = ("ko", "en")


@dataclass
class SpanCaption:
    video: str
    start_s: float
    end_s: float
    captions: dict[str, str]  # language -> caption
    dialogue: list[dict] = field(default_factory=list)  # {start_s, end_s, text} relative to the video
    model: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)
    problem: str = ""  # why there is no caption (no captioning model here): the dialogue is still given

    def to_json(self) -> dict:
        return asdict(self)

    def to_srt(self) -> str:
        """The dialogue as SRT, times relative to the start of the span (the trimmed clip)."""
        from modules.export import srt_text

        return srt_text([(d["start_s"] - self.start_s, d["end_s"] - self.start_s, d["text"]) for d in self.dialogue])


def caption_model_name(settings: Settings) -> str:
    return settings.caption_model or CAPTION_PRESETS[settings.preset]


def get_captioner(settings: Settings, use_adapter: bool = True) -> VLMCaptioner:
    """The captioner for ``settings`` (loaded once per process). Raises AdapterError."""
    return _captioner(caption_model_name(settings), str(settings.lora_dir) if use_adapter else "",
                      resolve_device(settings.device), settings.offline)


@functools.lru_cache(maxsize=2)
def _captioner(base: str, lora_dir: str, device: str, offline: bool) -> VLMCaptioner:
    try:
        return load_captioner(base, Path(lora_dir) if lora_dir else None, device, offline)
    except AdapterProblem as exc:
        raise AdapterError(str(exc)) from exc


def check_span(duration_s: float, start_s: float, end_s: float, max_span_s: float) -> None:
    """Raises BadSpan with what to change."""
    if not (math.isfinite(start_s) and math.isfinite(end_s)):
        raise BadSpan(f"--start and --end must be numbers of seconds (got {start_s}, {end_s})")
    if start_s < 0 or end_s < 0:
        raise BadSpan(f"times cannot be negative (start {start_s}, end {end_s})")
    if start_s >= end_s:
        raise BadSpan(f"--start ({start_s} s) must be before --end ({end_s} s)")
    if duration_s and start_s >= duration_s:
        raise BadSpan(f"--start ({start_s} s) is past the end of the video ({duration_s:.1f} s)")
    if end_s - start_s > max_span_s:
        raise BadSpan(f"the span is {end_s - start_s:.0f} s; at most {max_span_s:.0f} s can be captioned at once")


def caption_span(path: Path, start_s: float, end_s: float, settings: Settings, langs: Sequence[str] = LANGS,
                 use_adapter: bool = True, transcriber=None,
                 progress: Callable[[str], None] | None = None, info=None, partial: bool = False) -> SpanCaption:
    """Caption ``start_s``..``end_s`` of ``path`` in each of ``langs``, with the span's dialogue.

    ``info`` is the file's probe when the caller already has it. ``partial``: a captioning model that cannot
    be had gives the dialogue with the reason (``problem``) instead of raising.
    Raises VideoOpenFailure, BadSpan, AdapterError, WeightsUnavailable.
    """
    progress = progress or (lambda _: None)
    for lang in langs:
        if lang not in PROMPTS:
            raise BadSpan(f"unknown caption language {lang!r}; use one of {sorted(PROMPTS)}")
    info = info or probe(path)
    check_span(info.duration_s, start_s, end_s, settings.max_caption_span_s)
    end_s = min(end_s, info.duration_s) if info.duration_s else end_s
    timings: dict[str, float] = {}

    t = time.perf_counter()
    progress("reading frames")
    frames = sample_frames(path, start_s, end_s, settings.caption_frames)
    timings["frames_s"] = time.perf_counter() - t
    dialogue: list[dict] = []
    if info.has_audio and transcriber is not None:
        t = time.perf_counter()
        progress("transcribing the dialogue")
        audio = decode_audio(path, start_s, end_s)
        if audio is not None and len(audio):
            tr = transcriber.transcribe(audio, settings.asr_language or None)
            dialogue = [{"start_s": round(start_s + ln.start_s, 2), "end_s": round(start_s + ln.end_s, 2),
                         "text": ln.text} for ln in tr.lines]
        timings["asr_s"] = time.perf_counter() - t

    progress("loading the captioning model")
    t = time.perf_counter()
    try:
        captioner = get_captioner(settings, use_adapter)
    except (AdapterError, WeightsUnavailable) as exc:
        if not partial:
            raise
        return SpanCaption(str(path), start_s, end_s, {}, dialogue, "", {k: round(v, 3) for k, v in timings.items()},
                           problem=str(exc))
    timings["model_load_s"] = time.perf_counter() - t
    captions = {}
    for lang in langs:
        t = time.perf_counter()
        progress(f"captioning ({lang})")
        captions[lang] = captioner.caption([frames], PROMPTS[lang])[0]
        timings[f"caption_{lang}_s"] = time.perf_counter() - t
    return SpanCaption(str(path), start_s, end_s, captions, dialogue, captioner.identity,
                       {k: round(v, 3) for k, v in timings.items()})


def caption_library(lib, captioner: VLMCaptioner, embedders, settings: Settings,
                    progress: Callable[[int, int], None] | None = None, batch: int = 8) -> int:
    """Caption every shot that has none, from its stored keyframes, and embed the captions with each
    text model (``embedders``).

    Commits in batches through the library's single writer; returns how many shots were captioned.
    """
    from modules.shots import decode_jpeg

    todo = lib.uncaptioned_shots()
    done = 0
    for i in range(0, len(todo), batch):
        ids = todo[i : i + batch]
        clips = []
        for sid in ids:
            clips.append([decode_jpeg(p.read_bytes()) for p in _thumb_files(lib, sid, settings.caption_frames)])
        ids_with = [(sid, c) for sid, c in zip(ids, clips) if c]
        texts = captioner.caption([c for _, c in ids_with], PROMPTS["en"]) if ids_with else []
        vecs = {m.key: m.embed_passages(texts) for m in embedders}
        lib.set_captions([(sid, text, text) for (sid, _), text in zip(ids_with, texts)], vecs)
        done += len(ids_with)
        if progress:
            progress(done, len(todo))
    lib.manifest.record_captioner(captioner.identity)
    return done


def _thumb_files(lib, shot_id: int, limit: int) -> list[Path]:
    """The shot's keyframe thumbnails that are inside the library and still there."""
    paths = (lib.thumb_path(rel) for rel in lib.shot_thumbs(shot_id, limit))
    return [p for p in paths if p is not None and p.is_file()]


def write_outputs(result: SpanCaption, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{Path(result.video).stem}_{result.start_s:g}-{result.end_s:g}"
    j = out_dir / f"{stem}.json"
    j.write_text(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    s = out_dir / f"{stem}.srt"
    s.write_text(result.to_srt())
    return j, s
