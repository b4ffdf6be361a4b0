"""Working with a found moment: export (clips, EDL, CSV, SRT), more like this, the timeline."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from modules.export import export, moments, timecode
from modules.ingest import ingest
from modules.store import Library
from modules.media import sample_frames
from modules.search import Searcher
from tests.test_reliability import run_cli

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def lib_settings(clips, bikes, base_settings, engines, tmp_path_factory):
    s = base_settings.with_overrides(db_dir=tmp_path_factory.mktemp("moments") / "db")
    ingest([clips["station"], clips["garden"], bikes], s, engines=engines)
    return s


def frames_of(path: Path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_frames", "-of", "csv=p=0", str(path)], capture_output=True, text=True)
    return int(out.stdout.strip())


def test_exported_hits_play_at_the_right_length_and_the_edl_csv_srt_read_back(lib_settings, engines, tmp_path):
    import opentimelineio as otio
    import srt

    s = Searcher(lib_settings, engines)
    try:
        hits = [s.search(q).hits[0] for q in ('"the last train"', '"bring the umbrella"', '"the ticket office"')]
        items = moments(hits, s.lib, margin_s=0.5)
    finally:
        s.close()
    assert len(items) == 3
    files, clips, not_cut = export(items, tmp_path / "out", "three lines")
    assert not_cut == []
    for c in clips:  # each clip plays, frame-accurate to within one frame
        assert frames_of(c.path) == pytest.approx(round(c.moment.duration_s * c.moment.fps), abs=1), c
        assert c.method in ("stream copy", "re-encode")
        first = sample_frames(c.path, 0.0, 0.04, 1)[0]
        src = sample_frames(c.moment.video, c.moment.start_s, c.moment.start_s + 0.04, 1)[0]
        assert np.abs(first.astype(int) - src.astype(int)).mean() < 12  # it starts where the moment starts

    timeline = otio.adapters.read_from_file(str(tmp_path / "out" / "hits.edl"), "cmx_3600", rate=25)
    events = list(timeline.find_clips())
    assert [e.name for e in events] == [m.video.name for m in items]
    for e, m in zip(events, items):
        assert e.source_range.start_time.to_frames() == round(m.start_s * m.fps)
        assert e.source_range.duration.to_frames() == round(m.duration_s * m.fps)
    cues = list(srt.parse((tmp_path / "out" / "hits.srt").read_text()))
    assert len(cues) == len(items) and all(c.content for c in cues)
    assert cues[0].start.total_seconds() == 0 and cues[1].start.total_seconds() == pytest.approx(items[0].duration_s)
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "hits.csv").read_text())))
    assert [r["video"] for r in rows] == [m.video.name for m in items] and rows[0]["start_tc"] == timecode(
        items[0].start_s, items[0].fps)


def test_a_clip_that_starts_on_a_keyframe_is_stream_copied(lib_settings, tmp_path):
    from modules.export import Moment, cut

    # make_clip encodes a keyframe every 2 s (-g 50 at 25 fps): 4.0 s is one
    with Library.open(lib_settings.db_dir) as lib:
        station = next(v for v in lib.videos() if v["name"] == "station.mp4")
    m = Moment(Path(station["path"]), station["id"], 4.0, 6.0, 25.0, "", 4.0)
    clip = cut(m, tmp_path / "copy.mp4")
    assert clip.method == "stream copy" and frames_of(clip.path) == pytest.approx(50, abs=1)
    off = cut(Moment(Path(station["path"]), station["id"], 4.52, 6.0, 25.0, "", 4.52), tmp_path / "enc.mp4")
    assert off.method == "re-encode" and frames_of(off.path) == pytest.approx(37, abs=1)


def test_cli_search_export_writes_clips_and_lists(lib_settings, tmp_path, monkeypatch, capsys):
    rc, out = run_cli(["search", '"the ticket office"', "--export", str(tmp_path / "ex")], lib_settings, monkeypatch,
                      capsys)
    assert rc == 0, out
    names = sorted(p.suffix for p in (tmp_path / "ex").iterdir())
    assert names.count(".mp4") >= 1 and {".edl", ".csv", ".srt"} <= set(names)
    assert "stream copy" in out or "re-encode" in out


def test_more_like_this_by_frame_and_by_picture(lib_settings, engines, tmp_path, monkeypatch, capsys):
    s = Searcher(lib_settings, engines)
    try:
        with Library.open(lib_settings.db_dir) as lib:
            garden = next(v for v in lib.videos() if v["name"] == "garden.mp4")
        frame = s.similar("garden.mp4", 2.0)
        assert frame.hits and all(not (Path(h.video).name == "garden.mp4" and h.shot_start_s <= 2.0 < h.shot_end_s)
                                  for h in frame.hits)  # its own shot is left out
        still = sample_frames(Path(garden["path"]), 2.0, 2.04, 1, width=320)[0]
        picture = s.similar(image=still)
        assert Path(picture.hits[0].video).name == "garden.mp4" and picture.hits[0].shot_start_s == 0.0
    finally:
        s.close()
    from PIL import Image

    Image.fromarray(still).save(tmp_path / "still.png")  # lossless: the tiny random model is sensitive to JPEG noise
    rc, out = run_cli(["similar", "--image", str(tmp_path / "still.png"), "--json"], lib_settings, monkeypatch, capsys)
    assert rc == 0 and Path(json.loads(out[out.index("{"):])["hits"][0]["video"]).name == "garden.mp4"


def test_more_like_this_without_a_picture_channel_says_how_to_turn_it_on(clips, settings, tmp_path, monkeypatch,
                                                                          capsys):
    no_visual = settings.with_overrides(visual_model="sf-tiny-clip", visual_pretrained=str(tmp_path / "none.pt"))
    ingest([clips["kitchen"]], no_visual)
    rc, out = run_cli(["similar", "kitchen.mp4", "--at", "1.0"], no_visual, monkeypatch, capsys)
    assert rc == 2 and "picture channel" in out and "reindex" in out and "Traceback" not in out


def test_timeline_of_a_real_clip(lib_settings, monkeypatch, capsys):
    rc, out = run_cli(["timeline", "bikes.mp4", "--json"], lib_settings, monkeypatch, capsys)
    assert rc == 0
    shots = json.loads(out)["shots"]
    starts = [round(s["start_s"], 1) for s in shots]
    assert starts == sorted(starts) and len(shots) >= 5  # bikes.mp4 has cuts near 1.2, 3.0, 5.5, 7.5, 9.7 s
    assert all(s["thumb"].startswith("thumbs/") for s in shots)
    rc, out = run_cli(["timeline", "station.mp4"], lib_settings, monkeypatch, capsys)
    assert rc == 0 and "ticket office" in out.lower() and "last train" in out.lower()


def test_the_scene_finder_command_is_installed():
    exe = Path(sys.executable).parent / "scene-finder"
    if not exe.exists():
        pytest.skip("scene-finder is installed by ./setup.sh (pip install -e .)")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, env=cli_env_min())
    assert out.returncode == 0 and "timeline" in out.stdout and "similar" in out.stdout


def cli_env_min() -> dict:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("SCENE_FINDER_")}
