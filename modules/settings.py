"""One frozen settings object for the whole engine.

Defaults are documented on the fields; every field can be overridden by an
environment variable ``SCENE_FINDER_<FIELD>`` (upper case) and, for the common
ones, by a CLI flag. Nothing here loads a model or touches the disk.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

ENV_PREFIX = "SCENE_FINDER_"

# Visual (image-text) presets, chosen by published Korean retrieval (Crossmodal-3600 Korean,
# mean R@1/5/10) and the image-tower cost measured here (bench/picture_presets.py, 2 CPU cores):
# CPU: SigLIP2 ViT-B/32 at 256 px, 67.5 (xlm-roberta-base-ViT-B-32: 65.4) for 84 ms a keyframe
# (63 ms), about 0.4 s more per minute of video; ViT-B/16 SigLIP2 (70.3) costs 247 ms a keyframe.
# GPU: NLLB-CLIP large (SigLIP), the best published (77.2).
VISUAL_PRESETS: dict[str, tuple[str, str]] = {
    "cpu": ("ViT-B-32-SigLIP2-256", "webli"),
    "gpu": ("nllb-clip-large-siglip", "v1"),
}
ASR_PRESETS: dict[str, str] = {"cpu": "base", "gpu": "large-v3"}
# Beam width by device: on 2 CPU cores greedy decoding is 1.3x faster than a beam of 5 for a word
# error of 0.031 against 0.024 on real speech (bench/ingest_vs_plain.py); on a GPU the beam is cheap.
ASR_BEAM_PRESETS: dict[str, int] = {"cpu": 1, "gpu": 5}


def setting(default, *, range: tuple[float, float] | None = None, choices: tuple[str, ...] | None = None,
            flag: str = "", model: bool = False):
    """A field with what is known of it declared beside it: the range a number must fall in, the words a
    value may be, its command-line flag, and whether it chooses or loads a model (``model``: the
    engines are loaded once per distinct set of these)."""
    meta = {"range": range, "choices": choices, "flag": flag, "model": model}
    return dataclasses.field(default=default, metadata={k: v for k, v in meta.items() if v})


@dataclass(frozen=True)
class Settings:
    # Where the library lives (SQLite catalogue, FAISS indexes, thumbnails, manifest).
    db_dir: Path = setting(Path("db"), flag="--db")
    # "auto": CUDA when torch sees one, else CPU.
    device: str = setting("auto", flag="--device", model=True)
    # Model cache for weights we assemble ourselves (e.g. the split whisper package).
    cache_dir: Path = setting(Path(os.path.expanduser("~/.cache/scene-finder")), model=True)
    # Never try the network for weights (a model hub); only paths, caches and packages.
    offline: bool = setting(False, flag="--offline", model=True)

    # --- shots and keyframes -------------------------------------------------
    # PySceneDetect detector: "content" (HSV delta, fast) or "adaptive" (rolling
    # average, fewer false cuts on camera motion). Chosen by bench/shots.py.
    shot_detector: str = setting("adaptive", choices=('adaptive', 'content'))
    # 2.0 with reference frames only finds what 3.0 finds decoding every frame (bench/shots.py: recall 1.0,
    # one false cut either way; 3.0 on reference frames misses a cut), and 2.0 on every frame scores the same.
    shot_threshold: float = setting(2.0, range=(0.01, 255))
    min_shot_s: float = setting(0.4, range=(0, 60))
    # Frames are fed to the detector at this width (aspect kept): detection is
    # decode-bound, and a small frame makes HSV conversion cheap.
    detect_width: int = setting(256, range=(32, 1920))
    # Decode only the frames other frames are predicted from (I and P, most B-frames dropped): half the
    # decode of a film or camera file; encoders put an I-frame at each cut, so cuts keep their frame
    # (bench/ingest_vs_plain.py checks the plain detector's cuts are found within 0.25 s).
    decode_reference_only: bool = True
    # Leave out H.264's deblocking filter in the decode for shots, keyframes and text on screen (either
    # way above): a quarter less decode time; frames stay within 41-44 dB PSNR of a full decode on real
    # 720p footage (bench/ingest_vs_plain.py checks the cuts, bench/ocr.py the text). Export never skips it.
    decode_skip_loop_filter: bool = True
    # A keyframe every `keyframe_every_s` of a shot; shots shorter than that get one.
    keyframe_every_s: float = setting(4.0, range=(0.25, 600))
    # Candidate frames kept for keyframe picking, per second of video.
    candidate_fps: float = setting(4.0, range=(0.1, 30))
    thumb_width: int = setting(320, range=(32, 1920))

    # --- text on screen (OCR) ------------------------------------------------
    # Read subtitles, title cards and signs during ingest (needs Tesseract's kor+eng data).
    ocr: bool = setting(True, flag="--no-ocr", model=True)
    # A frame is read every `ocr_every_s` seconds, at most `ocr_width` wide; text boxes are found on a
    # copy `ocr_detect_side` px on its long side. bench/ocr.py: every 2 s reads 0.90 of the lines (every
    # 1.5 s: 0.93) with the same search R@1 at 80% of the cost; on its tuning half a 736 px copy read
    # 33/33 lines, 640 px 30/33 (small signs lost), 864x480 32/33 at 1.6x the time.
    ocr_every_s: float = setting(2.0, range=(0.1, 60))
    ocr_width: int = setting(1280, range=(160, 3840))
    ocr_detect_side: int = setting(736, range=(160, 2048), model=True)
    # Only frames where the detector finds text on a copy this size (long side) are searched at
    # ocr_detect_side (0 = all): a quarter of the detection time on a frame with no text; chosen on
    # bench/ocr.py's tuning windows (384 found every frame with a line, 320 missed small signs).
    ocr_gate_side: int = setting(384, range=(0, 2048), model=True)
    # Readings below this recogniser confidence (0-100) are dropped as noise (tuned by bench/ocr.py).
    ocr_min_confidence: float = setting(70.0, range=(0, 100), model=True)

    # --- dialogue -----------------------------------------------------------
    asr_backend: str = setting("faster-whisper", choices=("faster-whisper", "openai-whisper"), flag="--asr-backend",
                               model=True)
    # "" = the device's preset (base on a CPU, large-v3 on a GPU), else a size or a model folder
    asr_model: str = setting("", flag="--asr-model", model=True)
    # The language the dialogue is decoded in, a Whisper code ("ko", "en"); "" = detected per window. For a
    # library in one language Whisper then never mistakes a quiet line for another language.
    asr_language: str = ""
    asr_beam: int = setting(0, range=(0, 16), model=True)  # 0 = preset for the device (greedy on CPU, 5 on GPU)
    # Speech (cut by voice activity) is decoded this many windows at a time (faster-whisper's batched
    # pipeline): 1.2x faster than one window at a time on 2 CPU cores, more on a GPU; 1 = sequential.
    asr_batch: int = setting(8, range=(1, 64), model=True)

    # --- embeddings ---------------------------------------------------------
    visual_model: str = setting("", flag="--visual-model", model=True)  # "" = preset for the device
    # a tag, a checkpoint path, or "random" (tests and benchmarks only)
    visual_pretrained: str = setting("", flag="--visual-pretrained", model=True)
    visual_config: str = setting("", flag="--visual-config", model=True)  # a model-config JSON for open_clip
    # Text models for dialogue, text on screen and captions, comma-separated, each a name, an alias
    # (e5, use) or a sentence-transformers folder; a channel is searched with all of them and their
    # scores fused (bench/quality.py: on two kinds of real speech, Korean -> English R@1 rose with both
    # over either alone). A model that cannot be had here is left out with a warning.
    text_models: str = setting("intfloat/multilingual-e5-small,google/universal-sentence-encoder-multilingual-3",
                               flag="--text-models", model=True)
    embed_batch: int = setting(16, range=(1, 1024), model=True)

    # --- search -------------------------------------------------------------
    top_k: int = setting(5, range=(1, 100), flag="--top-k")
    # Weighted reciprocal-rank fusion: score = sum_c w_c / (rrf_k + rank_c).
    rrf_k: int = setting(10, range=(1, 1000))
    weight_visual: float = setting(1.0, range=(0, 100))
    weight_dialogue: float = setting(1.0, range=(0, 100))
    weight_caption: float = setting(1.0, range=(0, 100))
    weight_screen: float = setting(1.0, range=(0, 100))
    # A quoted line found (nearly) verbatim votes again with this weight.
    weight_quote: float = setting(2.0, range=(0, 100))
    # Up to this many vectors an index is exact (flat); above it IVF with nprobe tuned for
    # recall@10 >= 0.97. bench/search_speed.py: flat costs ~30 ms a query at 100k, IVF ~9 ms at 1M.
    exact_index_max: int = setting(50_000, range=(0, 100_000_000))
    # Shots of one video closer than this are one moment.
    merge_gap_s: float = setting(2.0, range=(0, 600))

    # --- captioning ---------------------------------------------------------
    # "" = the device's preset (models/captioner.py CAPTION_PRESETS)
    caption_model: str = setting("", flag="--caption-model")
    lora_dir: Path = Path("lora_weights")
    caption_frames: int = setting(4, range=(1, 32), flag="--frames")
    max_caption_span_s: float = setting(120.0, range=(1, 3600))

    workers: int = setting(1, range=(1, 64), flag="--workers")
    # CPU threads for the models (0 = all cores); Ray workers set it to the cores they were given.
    threads: int = setting(0, range=(0, 1024), model=True)

    # --- Ray (ingest --ray) ---------------------------------------------------
    # "" = no Ray; "local" = a runtime of this machine's cores, or the cluster RAY_ADDRESS names;
    # else a cluster address (ray://head:10001, or "auto").
    ray_address: str = setting("", flag="--ray")
    # 0 = one per GPU, or the cluster's CPUs / ray_cpus_per_worker
    ray_workers: int = setting(0, range=(0, 100_000), flag="--ray-workers")
    ray_cpus_per_worker: int = setting(2, range=(1, 1024), flag="--ray-cpus-per-worker")
    # Files up to this size are shipped to workers through Ray's object store; larger ones (and all
    # when 0) are read by the workers from storage mounted at the same path on every node.
    ray_ship_mb: int = setting(0, range=(0, 2048), flag="--ray-ship-mb")

    # --- app ------------------------------------------------------------------
    upload_dir: Path = Path("data/uploads")
    max_upload_mb: int = setting(4096, range=(1, 1_048_576))
    # Folders on the server the app may ingest from ("Folder on this server"), separated by
    # ":" (os.pathsep). "" = the home folder of the user running the app. Anything a visitor
    # ingests they can then play, so a team server should name its media folders only.
    media_roots: str = ""

    def __post_init__(self) -> None:
        for name, (lo, hi) in BOUNDS.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{name} ({where_set(name)}) must be between {lo:g} and {hi:g} (got {value!r})")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} ({where_set(name)}) must be one of {', '.join(allowed)} "
                                 f"(got {getattr(self, name)!r})")
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", self.device):
            raise ValueError(f"device ({where_set('device')}) must be auto, cpu, cuda or cuda:N (got {self.device!r})")

    def with_overrides(self, **changes: Any) -> "Settings":
        """A copy with the given fields changed; ``None`` values are ignored."""
        clean = {k: v for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **_coerce_all(clean))

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> "Settings":
        env = os.environ if environ is None else environ
        found = {}
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if key in env:
                found[f.name] = env[key]
        return cls().with_overrides(**found)

    # --- resolved values -----------------------------------------------------
    @property
    def resolved_device(self) -> str:
        from models.device import resolve_device

        return resolve_device(self.device)

    @property
    def preset(self) -> str:
        return "gpu" if self.resolved_device.startswith("cuda") else "cpu"

    @property
    def visual_choice(self) -> tuple[str, str]:
        name, tag = VISUAL_PRESETS[self.preset]
        return (self.visual_model or name, self.visual_pretrained or (tag if not self.visual_model else ""))

    @property
    def media_root_paths(self) -> list[Path]:
        roots = [r for r in self.media_roots.split(os.pathsep) if r.strip()] or [str(Path.home())]
        return [Path(r).expanduser().resolve() for r in roots]

    def allowed_folder(self, folder: Path) -> bool:
        """Whether the app may ingest ``folder``: it lies under one of the media roots (links resolved)."""
        try:
            real = Path(folder).expanduser().resolve()
        except (OSError, RuntimeError):
            return False
        return any(real == r or real.is_relative_to(r) for r in self.media_root_paths)

    @property
    def text_model_names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.strip() for n in self.text_models.split(",") if n.strip()))

    @property
    def asr_choice(self) -> str:
        return self.asr_model or ASR_PRESETS[self.preset]

    @property
    def asr_beam_choice(self) -> int:
        return self.asr_beam or ASR_BEAM_PRESETS[self.preset]


# What the fields declare, gathered: every count and size a user can set with its range (checked when
# the settings are made, before anything is decoded or loaded: a million caption frames would fill any
# machine's memory before the model even loads), the settings that must be one of a few words, each
# flag, and the settings that choose or load a model.
BOUNDS: dict[str, tuple[float, float]] = {f.name: f.metadata["range"] for f in fields(Settings) if "range" in f.metadata}
CHOICES: dict[str, tuple[str, ...]] = {f.name: f.metadata["choices"] for f in fields(Settings) if "choices" in f.metadata}
FLAGS: dict[str, str] = {f.name: f.metadata["flag"] for f in fields(Settings) if "flag" in f.metadata}
MODEL_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Settings) if f.metadata.get("model"))


def where_set(name: str) -> str:
    """How a person sets ``name``: its flag where it has one, and its environment variable."""
    env = ENV_PREFIX + name.upper()
    return f"{FLAGS[name]} or {env}" if name in FLAGS else env


_TYPES = {f.name: f.type for f in fields(Settings)}


def _coerce_all(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in values.items()}


def _coerce(name: str, value: Any) -> Any:
    if name not in _TYPES:
        raise ValueError(f"unknown setting {name!r}; known: {sorted(_TYPES)}")
    kind = _TYPES[name]
    if not isinstance(value, str):
        return Path(value) if kind == "Path" and not isinstance(value, Path) else value
    if kind == "Path":
        if not value.strip():
            raise ValueError(f"setting {name} ({where_set(name)}) is empty: give a folder")
        return Path(value).expanduser()
    if kind == "bool":
        return value.strip().lower() in {"1", "true", "yes", "on"}
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
    except ValueError:
        raise ValueError(f"setting {name} must be a {kind} (got {value!r})") from None
    return value

