"""The commands a new user runs first, as they run them: ``demo`` (the README's first command) and
``models``, in fresh processes; and the model check with no network, as a user without one meets it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import cli_env

ROOT = Path(__file__).resolve().parents[1]


def test_demo_builds_a_sample_library_and_answers_both_searches(settings, tmp_path):
    """As on a new machine without a network: no picture weights (the channel is off), the speech and
    text models from their packages."""
    env = {k: v for k, v in cli_env(settings).items() if not k.startswith("SCENE_FINDER_VISUAL_")}
    out = subprocess.run([sys.executable, "main.py", "demo", "--db", str(tmp_path / "db"), "--samples",
                          str(tmp_path / "samples")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert "2 ingested, 0 skipped, 0 failed" in text
    english, korean = text.split("$ python main.py search")[1:]
    # the words of a line, in order: found, and said to be sure
    first = next(ln for ln in english.splitlines() if ln.strip().startswith("1 "))
    assert "station.mp4" in first and "00:00.0" in first and "high" in first and "exact quote" in first
    assert "no confident match" not in english
    first = next(ln for ln in korean.splitlines() if ln.strip().startswith("1 "))
    assert "station.mp4" in first and "ticket office" in first.lower(), korean
    assert ("high" in first or "medium" in first) and "no confident match" not in korean  # sure enough to say so
    assert len(re.findall(r"^\s+\d\s", korean, re.M)) == 3  # the three hits asked for


def test_models_names_each_model_and_what_is_off(settings):
    out = subprocess.run([sys.executable, "main.py", "models"], cwd=ROOT, env=cli_env(settings),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = dict(ln.split(None, 1) for ln in out.stdout.splitlines() if ln.strip())
    assert lines["device"] == "cpu"
    assert "intfloat/multilingual-e5-small" in lines["text"]
    assert "google/universal-sentence-encoder-multilingual-3" in lines["text"]
    assert "faster-whisper" in lines["asr"] and "base" in lines["asr"]
    assert lines["visual"].startswith("open_clip:sf-tiny-clip")


def test_with_no_network_the_models_come_from_packages_without_hanging(settings, tmp_path):
    """No offline flag and no HF_HUB_OFFLINE: the model hub is probed once (this machine reaches only
    package registries), and the models that packages carry load; the picture model, which none
    carries, is off with the reason, and nothing waits on the network."""
    env = {k: v for k, v in cli_env(settings).items()
           if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "SCENE_FINDER_OFFLINE",
                        "SCENE_FINDER_VISUAL_MODEL", "SCENE_FINDER_VISUAL_PRETRAINED", "SCENE_FINDER_VISUAL_CONFIG")}
    env["HF_HOME"] = str(tmp_path / "hf")  # an empty model cache, as on a new machine
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "main.py", "models"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    took = time.perf_counter() - t
    assert out.returncode == 0, out.stderr
    lines = dict(ln.split(None, 1) for ln in out.stdout.splitlines() if ln.strip())
    assert "universal-sentence-encoder" in lines["text"] and "multilingual-e5-small" in lines["text"]
    assert lines["visual"].startswith("off (no weights for ViT-B-32-SigLIP2-256"), lines["visual"]
    assert "base" in lines["asr"]
    assert took < 120, took  # one short probe, not a download that times out
    assert not (tmp_path / "hf" / "hub").exists() or not any((tmp_path / "hf" / "hub").iterdir())
    assert os.environ.get("HF_HUB_OFFLINE") == "1"  # (the test process itself stays offline)
