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

from modules.setting_groups import (AppSettings, CaptionSettings, DialogueSettings, EmbeddingSettings, FaceSettings,
                                     LibrarySettings, RaySettings, ScreenTextSettings, SearchSettings, ShotSettings)

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


@dataclass(frozen=True)
class Settings(AppSettings, RaySettings, CaptionSettings, SearchSettings, EmbeddingSettings, DialogueSettings,
               FaceSettings, ScreenTextSettings, ShotSettings, LibrarySettings):
    """Every setting, grouped by concern in ``modules/setting_groups.py`` (``GROUPS``); read as one flat object."""

    def __post_init__(self) -> None:
        for name, (lo, hi) in BOUNDS.items():
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and lo <= value <= hi):
                raise ValueError(f"{name} ({where_set(name)}) must be between {lo:g} and {hi:g} (got {value!r})")
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} ({where_set(name)}) must be one of {', '.join(allowed)} "
                                 f"(got {getattr(self, name)!r})")
        self.weight_of("")  # the weights parse, each within 0..100
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

    def weight_of(self, channel: str, default: float = 1.0) -> float:
        """A channel's weight in fusion (``weights``), else ``default`` (the channel's own)."""
        found = {}
        for part in filter(None, (p.strip() for p in self.weights.split(","))):
            name, eq, value = part.partition("=")
            try:
                w = float(value) if eq and name.strip() else math.nan
            except ValueError:
                w = math.nan
            if not 0 <= w <= 100:
                raise ValueError(f"weights ({where_set('weights')}) must be channel=weight pairs with weights "
                                 f"from 0 to 100, e.g. visual=0,dialogue=2 (got {part!r})")
            found[name.strip()] = w
        return found.get(channel, default)

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
GROUPS: dict[str, tuple[str, ...]] = {
    cls.__doc__.split(".")[0]: tuple(f.name for f in fields(cls)) for cls in reversed(Settings.__mro__[1:-1])
}
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

