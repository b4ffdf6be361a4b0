"""The third reliability round: names are data in every export, picture input is bounded before it is
decoded, an unreachable Ray cluster is said, an export goes on past a missing source, and settings and
ids are checked where they are made. Each case on real files and real processes."""

from __future__ import annotations

import csv
import shutil
import struct
import time
import zlib
from pathlib import Path

import pytest

from modules import cli
from modules.ingest import ingest
from modules.settings import FLAGS, Settings
from tests.test_reliability import run_cli

EVIL = ("evil\n002  AX       V     C        00:00:00:00 00:00:10:00 00:00:00:00 00:00:10:00\n"
        "* FROM CLIP NAME: injected.mp4")
FORMULA = '=HYPERLINK("x.example","click")'


@pytest.fixture(scope="module")
def hostile(clips, base_settings, engines, tmp_path_factory):
    """A library of the station clip under a name with newlines that spell an EDL event, and the garden
    clip under a name a spreadsheet would run as a formula."""
    d = tmp_path_factory.mktemp("hostile")
    shutil.copy(clips["station"], d / f"{EVIL}.mp4")
    shutil.copy(clips["garden"], d / f"{FORMULA}.mp4")
    settings = base_settings.with_overrides(db_dir=d / "db", ocr=False, weights="visual=0")
    summary = ingest([d / f"{EVIL}.mp4", d / f"{FORMULA}.mp4"], settings, engines=engines)
    assert len(summary.by_status("ingested")) == 2, summary.outcomes
    return settings


def test_hostile_file_names_stay_data_in_every_export(hostile, tmp_path, monkeypatch, capsys):
    import opentimelineio as otio
    import srt

    out = tmp_path / "out"
    rc, text = run_cli(["search", "the train and the umbrella", "--export", str(out), "--top-k", "4"],
                       hostile, monkeypatch, capsys)
    assert rc == 0, text
    table = [ln for ln in text.splitlines() if ln[:3].strip().isdigit()]
    n = len(table)
    assert n == 4  # one line a hit in the terminal: the name's newlines did not start lines of their own
    assert not any(ln.startswith(("002  AX", "* FROM CLIP NAME")) for ln in text.splitlines())
    timeline = otio.adapters.read_from_file(str(out / "hits.edl"), "cmx_3600", rate=25)
    events = list(timeline.find_clips())
    assert len(events) == n  # no event forged by a name
    assert not any(e.name == "injected.mp4" for e in events)
    edl_lines = (out / "hits.edl").read_text().splitlines()
    assert sum(ln[:3].isdigit() for ln in edl_lines) == n
    cues = list(srt.parse((out / "hits.srt").read_text()))
    assert len(cues) == n and all("\n" not in c.content for c in cues)
    rows = list(csv.DictReader((out / "hits.csv").read_text().splitlines()))
    assert len(rows) == n
    for r in rows:
        for key in ("video", "path", "text"):
            assert not r[key].startswith(("=", "+", "-", "@")), r[key]  # a formula is written as text
            assert "\n" not in r[key]
    assert any(r["video"].startswith("'=HYPERLINK") for r in rows)
    clips_made = sorted(p.name for p in out.glob("*.mp4"))
    assert len(clips_made) == n and all("\n" not in c for c in clips_made)


def test_an_export_goes_on_past_a_moved_source_and_names_it(hostile, tmp_path, monkeypatch, capsys):
    lib = hostile.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(hostile.db_dir, lib.db_dir)
    garden = hostile.db_dir.parent / f"{FORMULA}.mp4"
    moved = tmp_path / "moved.mp4"
    shutil.move(garden, moved)
    try:
        out = tmp_path / "out"
        rc, text = run_cli(["search", "the train and the umbrella", "--export", str(out), "--top-k", "4"],
                           lib, monkeypatch, capsys)
    finally:
        shutil.move(moved, garden)
    assert rc == 0 and "Traceback" not in text
    rows = [ln for ln in text.splitlines() if ln[:3].strip().isdigit()]
    moved_hits = sum("HYPERLINK" in ln for ln in rows)
    assert len(rows) == 4 and 1 <= moved_hits < 4, rows
    assert text.count("not cut: hit") == moved_hits and "no longer there" in text  # each said, by its number
    assert len(list(out.glob("*.mp4"))) == 4 - moved_hits  # the other hits were cut all the same
    assert (out / "hits.edl").exists() and (out / "hits.csv").exists()


def test_an_export_into_the_library_folder_is_refused(hostile, monkeypatch, capsys):
    rc, text = run_cli(["search", "train", "--export", str(hostile.db_dir / "exports")], hostile, monkeypatch, capsys)
    assert rc == 2 and "inside the library folder" in text
    assert not (hostile.db_dir / "exports").exists()


# --- picture input -----------------------------------------------------------------------------------


def _png_header(path: Path, width: int, height: int) -> Path:
    """A PNG whose header announces ``width`` x ``height`` (a decompression bomb's first bytes)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("make, words", [
    (lambda d: Path("/dev/zero"), "not a picture file"),
    (lambda d: d, "not a picture file"),
    (lambda d: _sparse(d / "huge.jpg", 60 << 20), "MB; give a picture under"),
    (lambda d: _png_header(d / "bomb.png", 30000, 30000), "megapixels"),
    (lambda d: _png_header(d / "big.png", 13000, 13000), "megapixels"),
    (lambda d: _write(d / "text.jpg", b"hello, not a picture"), "not a picture that can be read"),
    (lambda d: _write(d / "empty.png", b""), "is empty"),
])
def test_a_picture_is_bounded_before_it_is_decoded(make, words, tmp_path):
    from modules.pictures import PictureRejected, read_picture

    t = time.perf_counter()
    with pytest.raises(PictureRejected, match=words):
        read_picture(make(tmp_path))
    assert time.perf_counter() - t < 5  # refused from its size or header, not after reading or decoding it


def test_a_large_photo_is_decoded_small(tmp_path):
    from PIL import Image

    from modules.pictures import MAX_SIDE, read_picture

    path = tmp_path / "photo.jpg"
    Image.new("RGB", (6000, 4000), (200, 120, 40)).save(path, quality=80)
    rgb = read_picture(path)
    assert max(rgb.shape[:2]) <= MAX_SIDE and rgb.shape[2] == 3 and rgb[0, 0, 0] > 150


def test_similar_checks_the_picture_channel_before_reading_anything(hostile, tmp_path, monkeypatch, capsys):
    off = hostile.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(hostile.db_dir, off.db_dir)
    import sqlite3

    with sqlite3.connect(off.db_dir / "catalog.sqlite") as c:  # a library built with the picture channel off
        import json as _json

        m = _json.loads(c.execute("SELECT value FROM meta WHERE key='manifest'").fetchone()[0])
        m["channels"]["visual"] = {"model": None, "dim": 0, "normalized": True, "note": "no image-text weights"}
        c.execute("UPDATE meta SET value=? WHERE key='manifest'", (_json.dumps(m),))
    t = time.perf_counter()
    rc, text = run_cli(["similar", "--image", "/dev/zero"], off, monkeypatch, capsys)
    assert rc == 2 and "picture channel is off" in text and time.perf_counter() - t < 10
    rc, text = run_cli(["similar", "--image", "/dev/zero"], hostile, monkeypatch, capsys)
    assert rc == 2 and "not a picture file" in text and "MemoryError" not in text


def _sparse(path: Path, size: int) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- Ray -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1:1", "ray://127.0.0.1:1"])
def test_an_unreachable_ray_cluster_is_said_with_its_address(address, clips, settings, monkeypatch, capsys):
    t = time.perf_counter()
    rc, text = run_cli(["ingest", str(clips["kitchen"]), "--ray", address], settings, monkeypatch, capsys)
    assert rc == 2 and f"no Ray cluster answers at {address}" in text, text
    assert time.perf_counter() - t < 60


def test_the_ray_client_extra_is_installed_for_ray_addresses():
    import ray.util.client  # noqa: F401 - `--ray ray://head:10001` needs Ray Client (ray[client])
    import grpc  # noqa: F401


# --- ids, settings, caches -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["timeline", "remove"])
def test_an_id_too_large_for_the_catalogue_is_a_clear_miss(command, hostile, tmp_path, monkeypatch, capsys):
    lib = hostile.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(hostile.db_dir, lib.db_dir)
    rc, text = run_cli([command, "--", "99999999999999999999999"], lib, monkeypatch, capsys)
    assert rc == 2 and "Traceback" not in text and "OverflowError" not in text
    assert "99999999999999999999999" in text


@pytest.mark.parametrize("env, words", [
    ({"SCENE_FINDER_DB_DIR": ""}, "is empty"),
    ({"SCENE_FINDER_ASR_BACKEND": "whisper.cpp"}, "must be one of faster-whisper, openai-whisper"),
    ({"SCENE_FINDER_SHOT_DETECTOR": "magic"}, "must be one of adaptive, content"),
    ({"SCENE_FINDER_DEVICE": "tpu"}, "must be auto, cpu, cuda"),
])
def test_empty_or_unknown_settings_are_refused_when_made(env, words, clips, monkeypatch, capsys):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    rc = cli.main(["ingest", str(clips["kitchen"])])
    err = capsys.readouterr().err
    assert rc == 2 and words in err, err
    with pytest.raises(ValueError, match=words.split(",")[0]):
        Settings.from_env(env)


def test_messages_name_only_flags_that_exist():
    parser = cli.build_parser()
    options = set()
    for action in parser._subparsers._group_actions[0].choices.values():  # noqa: SLF001 - every subcommand
        for a in action._actions:  # noqa: SLF001
            options.update(a.option_strings)
    assert set(FLAGS.values()) <= options, set(FLAGS.values()) - options
    with pytest.raises(ValueError) as exc:
        Settings(merge_gap_s=-1)
    assert "--merge-gap-s" not in str(exc.value) and "SCENE_FINDER_MERGE_GAP_S" in str(exc.value)
    with pytest.raises(ValueError, match="--frames or SCENE_FINDER_CAPTION_FRAMES"):
        Settings(caption_frames=0)


def test_a_cache_folder_that_cannot_be_written_falls_back_into_the_library(clips, base_settings, tmp_path, caplog):
    from modules.engines import load_engines, usable_cache

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", cache_dir=blocker / "cache", ocr=False)
    assert usable_cache(settings.cache_dir, settings.db_dir) == settings.db_dir / ".cache"
    summary = ingest([clips["kitchen"]], settings, engines=load_engines(settings))
    assert [o.status for o in summary.outcomes] == ["ingested"]
    assert (settings.db_dir / ".cache" / "faster-whisper-base" / "model.bin").is_file()
    assert "SCENE_FINDER_CACHE_DIR" in caplog.text
