"""Broken input and interrupted runs: the batch goes on, the library stays consistent."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from modules.ingest import ingest
from modules.store import Library
from modules.samples import SampleShot, make_clip
from tests.conftest import cli_env, index_sizes

ROOT = Path(__file__).resolve().parents[1]


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


@pytest.fixture(scope="module")
def broken_batch(clips, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("batch")
    (d / "zero.mp4").write_bytes(b"")
    (d / "notes.mp4").write_text("this is a shopping list, not a video\n")
    data = clips["station"].read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 2])  # moov atom at the end is lost
    _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:a", "aac", str(d / "audio_only.mp4"))
    make_clip(d / "silent_film.mp4", [SampleShot(2.0, source=1), SampleShot(2.0, source=3)], audio=False)
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=321x241:rate=25:duration=2", "-c:v", "libx264",
             "-pix_fmt", "yuv444p", str(d / "odd_size.mp4"))
    _ffmpeg("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=4", "-vf", "select='lt(mod(n,10),4)'",
             "-fps_mode", "vfr", "-c:v", "libx264", "-pix_fmt", "yuv420p", str(d / "vfr.mp4"))
    shutil.copy(clips["garden"], d / "영화 장면 01.mp4")
    # MPEG-TS with garbage written over its middle: damaged packets, the rest decodes
    ts = d / "damaged.ts"
    _ffmpeg("-i", str(clips["kitchen"]), "-c", "copy", "-f", "mpegts", str(ts))
    raw = bytearray(ts.read_bytes())
    mid = len(raw) // 2
    raw[mid : mid + 20_000] = bytes((i * 37) % 256 for i in range(20_000))
    ts.write_bytes(bytes(raw))
    return d


def test_broken_files_are_reported_and_the_batch_goes_on(broken_batch, settings, engines):
    summary = ingest([broken_batch], settings, engines=engines)
    status = {o.path.name: (o.status, o.detail) for o in summary.outcomes}
    assert status["zero.mp4"] == ("failed", "zero.mp4: empty file (0 bytes)")
    assert status["notes.mp4"][0] == "failed" and "not a video" in status["notes.mp4"][1]
    assert status["audio_only.mp4"][0] == "failed" and "no video stream" in status["audio_only.mp4"][1]
    assert status["truncated.mp4"][0] == "failed"
    for name in ("silent_film.mp4", "odd_size.mp4", "vfr.mp4", "영화 장면 01.mp4", "damaged.ts"):
        assert status[name][0] == "ingested", (name, status[name])
    assert "no audio track" in status["silent_film.mp4"][1]
    with Library.open(settings.db_dir) as lib:
        videos = {v["name"]: lib.describe(v["id"]) for v in lib.videos()}
    assert any("umbrella" in d["text"].lower() for d in videos["영화 장면 01.mp4"]["dialogue"])
    assert abs(videos["vfr.mp4"]["duration_s"] - 4.0) < 0.3
    assert len(videos["silent_film.mp4"]["shots"]) == 2
    assert videos["damaged.ts"]["duration_s"] > 5.0  # decoded past the damage, not dropped


def test_cli_batch_with_broken_files_exits_zero_with_a_summary(broken_batch, settings):
    out = subprocess.run([sys.executable, "main.py", "ingest", str(broken_batch / "zero.mp4"),
                          str(broken_batch / "odd_size.mp4"), str(broken_batch / "missing.mp4")],
                         cwd=ROOT, capture_output=True, text=True, env=cli_env(settings))
    assert out.returncode == 0, out.stderr
    assert "1 ingested, 0 skipped, 2 failed" in out.stdout
    assert "empty file" in out.stdout and "no such file" in out.stdout
    only_bad = subprocess.run([sys.executable, "main.py", "ingest", str(broken_batch / "notes.mp4")],
                              cwd=ROOT, capture_output=True, text=True, env=cli_env(settings))
    assert only_bad.returncode == 1 and "Traceback" not in only_bad.stderr + only_bad.stdout


@pytest.mark.parametrize("kill_at, committed", [
    ("thumbs-written:1", 0),  # the first video's thumbnails on disk, its rows not yet written
    ("mid-commit:1", 0),  # the first video's rows written, the transaction open
    ("mid-commit:3", 2),
    ("committed:2", 2),  # two videos committed, no index cache saved yet
    ("index-saved:2", 6),  # every video committed, the second of the index caches written, the rest not
])
def test_killed_ingest_leaves_a_library_that_opens_and_the_next_run_finishes(clips, settings, tmp_path, kill_at,
                                                                             committed):
    folder = tmp_path / "in"
    folder.mkdir()
    # the last three are copies of the first three with extra bytes, so they are new content
    for i, name in enumerate(["station", "garden", "kitchen"] * 2):
        dst = folder / f"{i}_{name}.mp4"
        shutil.copy(clips[name], dst)
        if i >= 3:
            with open(dst, "ab") as f:
                f.write(b"\0" * 1024)
    env = {**cli_env(settings), "SCENE_FINDER_KILL_AT": kill_at}
    cmd = [sys.executable, "main.py", "ingest", str(folder)]
    killed = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, (killed.returncode, killed.stderr[-2000:])
    env.pop("SCENE_FINDER_KILL_AT")

    with Library.open(settings.db_dir) as lib:  # opens and answers
        assert lib.count("videos") == committed
        assert all(size == lib.count("segments") for size in index_sizes(lib, "dialogue"))
        if committed:
            assert lib.index("visual").ntotal == lib.count("keyframes")

    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with Library.open(settings.db_dir) as lib:
        assert lib.count("videos") == 6
        assert index_sizes(lib, "dialogue") == [lib.count("segments")] * 2
        assert lib.index("visual").ntotal == lib.count("keyframes")
        names = sorted(v["name"] for v in lib.videos())
    assert names == sorted(p.name for p in folder.iterdir())
    thumbs = sorted(p.name for p in (settings.db_dir / "thumbs").iterdir())
    assert len(thumbs) == 6  # no orphan thumbnails left behind
