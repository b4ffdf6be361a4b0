"""Ingest on real clips with real offline weights (faster-whisper base, multilingual e5)
and a tiny random open_clip model through the production code path."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models.transcriber import SpokenLine, Transcript, Word
from modules.channels import DIALOGUE, SCREEN
from modules.errors import LibraryMismatch
from modules.ingest import ingest
from modules.store import Library
from modules.schema import Shot
from modules.transcripts import split_by_shots
from tests.conftest import cli_env, write_tiny_clip_config, index_sizes

ROOT = Path(__file__).resolve().parents[1]


def _described(settings) -> dict[str, dict]:
    with Library.open(settings.db_dir) as lib:
        return {Path(v["path"]).name: lib.describe(v["id"]) for v in lib.videos()}


def test_spoken_lines_land_on_the_shot_where_they_are_said(clips, settings, engines):
    summary = ingest([clips["station"]], settings, engines=engines)
    assert [o.status for o in summary.outcomes] == ["ingested"]
    video = _described(settings)["station.mp4"]
    assert [round(s["start_s"], 1) for s in video["shots"]] == [0.0, 4.0, 8.0]
    by_shot = {d["shot"]: d["text"].lower() for d in video["dialogue"]}
    assert "ticket office" in by_shot[0]
    assert "last train" in by_shot[1]
    assert 2 not in by_shot  # the silent shot has no dialogue
    assert video["language"] == "en"


def test_line_spanning_a_cut_is_split_by_word_timings():
    shots = [Shot(0, 0.0, 2.0), Shot(1, 2.0, 5.0)]
    words = (Word(1.0, 1.4, " Where"), Word(1.5, 1.9, " are"), Word(2.1, 2.5, " you"), Word(2.6, 3.0, " going?"))
    t = Transcript("en", (SpokenLine(1.0, 3.0, "Where are you going?", words),))
    segs = split_by_shots(t, shots)
    assert [(s.shot_index, s.text) for s in segs] == [(0, "Where are"), (1, "you going?")]
    assert segs[1].start_s == 2.1


def test_library_json_lists_videos_with_shots_and_dialogue(clips, settings, engines):
    ingest([clips["garden"]], settings, engines=engines)
    out = subprocess.run(
        [sys.executable, "main.py", "library", "--json", "--db", str(settings.db_dir)],
        cwd=ROOT, capture_output=True, text=True, env=cli_env(settings),
    )
    assert out.returncode == 0, out.stderr
    videos = json.loads(out.stdout)
    assert videos[0]["path"].endswith("garden.mp4")
    assert abs(videos[0]["duration_s"] - 8.0) < 0.2
    assert all({"start_s", "end_s", "keyframes_s"} <= set(s) for s in videos[0]["shots"])
    assert any("umbrella" in d["text"].lower() for d in videos[0]["dialogue"])


def test_rerun_skips_unchanged_adds_new_and_replaces_changed(clips, settings, engines, tmp_path):
    lib_dir = tmp_path / "clips"
    lib_dir.mkdir()
    shutil.copy(clips["station"], lib_dir / "a.mp4")
    first = ingest([lib_dir], settings, engines=engines)
    assert [o.status for o in first.outcomes] == ["ingested"]

    shutil.copy(clips["garden"], lib_dir / "b.mp4")
    second = ingest([lib_dir], settings, engines=engines)
    assert sorted((o.path.name, o.status) for o in second.outcomes) == [("a.mp4", "skipped"), ("b.mp4", "ingested")]

    shutil.copy(clips["kitchen"], lib_dir / "a.mp4")  # same name, new content
    (lib_dir / "b.mp4").rename(lib_dir / "b-renamed.mp4")  # same content, new name
    third = ingest([lib_dir], settings, engines=engines)
    got = sorted((o.path.name, o.status) for o in third.outcomes)
    assert got == [("a.mp4", "ingested"), ("b-renamed.mp4", "skipped")]
    videos = _described(settings)
    assert sorted(videos) == ["a.mp4", "b-renamed.mp4"]
    assert any("chocolate" in d["text"].lower() for d in videos["a.mp4"]["dialogue"])
    with Library.open(settings.db_dir) as lib:
        assert index_sizes(lib, "dialogue") == [lib.count("segments")] * 2
        assert lib.index("visual").ntotal == lib.count("keyframes")


def test_library_made_by_other_models_is_refused_with_the_rebuild_command(clips, settings, engines, tmp_path):
    ingest([clips["garden"]], settings, engines=engines)
    other_cfg = write_tiny_clip_config(tmp_path, name="sf-tiny-clip-b", embed_dim=24)
    other = settings.with_overrides(visual_model="sf-tiny-clip-b", visual_config=str(other_cfg))
    with pytest.raises(LibraryMismatch, match="reindex"):
        ingest([clips["kitchen"]], other, engines=None)
    out = subprocess.run(
        [sys.executable, "main.py", "ingest", str(clips["kitchen"])], cwd=ROOT, capture_output=True, text=True,
        env={**cli_env(other)},
    )
    assert out.returncode == 2
    assert "reindex" in out.stderr and "Traceback" not in out.stderr


def test_visual_channel_off_without_weights_is_recorded(clips, settings):
    from modules.engines import load_engines

    no_visual = settings.with_overrides(visual_model="ViT-B-32", visual_pretrained="openai", visual_config="")
    eng = load_engines(no_visual)
    assert eng.visual is None and "no weights" in eng.visual_note
    summary = ingest([clips["garden"]], no_visual, engines=eng)
    assert any("visual channel off" in w for w in summary.warnings)
    with Library.open(no_visual.db_dir) as lib:
        assert lib.channel_stamp("visual").model is None
        assert lib.count("segments") == 2


def test_index_is_caught_up_from_the_catalogue_when_its_file_is_stale(clips, settings, engines):
    space = f"dialogue.{engines.text.key}"
    ingest([clips["station"]], settings, engines=engines)
    saved = (settings.db_dir / "index" / f"{space}.faiss").read_bytes()
    ingest([clips["garden"]], settings, engines=engines)
    (settings.db_dir / "index" / f"{space}.faiss").write_bytes(saved)  # as if killed before the save
    with Library.open(settings.db_dir) as lib:
        idx = lib.index(space)
        assert idx.ntotal == lib.count("segments") == 4
        q = engines.text.embed_queries(["bring an umbrella because of rain"])[0]
        _, ids = idx.search(q, 1)
        text = lib.rows_by_id(DIALOGUE, [int(ids[0][0])])[int(ids[0][0])]["text"]
        assert "umbrella" in text.lower()


def test_reindex_rebuilds_the_library_for_the_new_model(clips, settings, engines, tmp_path):
    ingest([clips["garden"]], settings, engines=engines)
    other_cfg = write_tiny_clip_config(tmp_path, name="sf-tiny-clip-r", embed_dim=12)
    other = settings.with_overrides(visual_model="sf-tiny-clip-r", visual_config=str(other_cfg))
    out = subprocess.run([sys.executable, "main.py", "reindex"], cwd=ROOT, capture_output=True, text=True,
                         env=cli_env(other))
    assert out.returncode == 0, out.stderr
    with Library.open(settings.db_dir) as lib:
        assert lib.channel_stamp("visual").dim == 12
        assert lib.index("visual").ntotal == lib.count("keyframes")
        assert index_sizes(lib, "dialogue") == [lib.count("segments")] * 2 and lib.count("segments") == 2
    summary = ingest([clips["kitchen"]], other)  # the rebuilt library takes new videos from the new model
    assert [o.status for o in summary.outcomes] == ["ingested"]


def test_parallel_workers_ingest_with_one_writer(clips, settings, engines):
    summary = ingest([clips["station"], clips["garden"], clips["kitchen"]], settings.with_overrides(workers=2),
                     engines=engines)
    assert sorted(o.status for o in summary.outcomes) == ["ingested"] * 3
    with Library.open(settings.db_dir) as lib:
        assert lib.count("videos") == 3
        assert index_sizes(lib, "dialogue") == [lib.count("segments")] * 2 and lib.count("segments") == 5


def test_a_recogniser_that_cannot_load_stops_the_batch_before_a_write(clips, settings):
    """The recogniser loads beside the first video's decode: its failure still says the next step and
    leaves the library as it was (no video ingested without its dialogue)."""
    from models.weights import WeightsUnavailable
    from modules.engines import load_engines

    no_asr = settings.with_overrides(asr_model="large-v3", offline=True)  # not shipped in any package here
    eng = load_engines(no_asr, with_visual=False)
    assert eng.asr_loaded  # asked for: the failure shows only where it is used
    with pytest.raises(WeightsUnavailable, match="large-v3"):
        ingest([clips["garden"], clips["kitchen"]], no_asr, engines=eng)
    if no_asr.db_dir.exists():
        with Library.open(no_asr.db_dir) as lib:
            assert lib.count("videos") == 0


def test_a_batch_goes_on_decoding_while_the_picture_model_loads(clips, settings, engines, tmp_path):
    """The picture model loads beside the first videos: they are analysed meanwhile, each waiting
    for its keyframes' vectors, then committed in order, every one with its vectors; a broken file
    among them is reported in its turn."""
    import concurrent.futures as cf
    import dataclasses
    import threading

    from modules.ingest import IngestProgress

    loading = cf.Future()
    safety = threading.Timer(120, lambda: loading.done() or loading.set_result((engines.visual, "")))
    slow = dataclasses.replace(engines, _visual=loading)
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x17" * 4000)
    events = []

    class Watch(IngestProgress):
        def video_started(self, path, duration_s):
            events.append(("started", path.name))
            if path.name == "kitchen.mp4" and not loading.done():  # the third video: the model is ready now
                loading.set_result((engines.visual, ""))

        def video_done(self, path, status, detail=""):
            events.append((status, path.name))

    safety.start()
    try:
        summary = ingest([clips["station"], broken, clips["garden"], clips["kitchen"]], settings, engines=slow,
                         progress=Watch())
    finally:
        safety.cancel()
    assert [(o.path.name, o.status) for o in summary.outcomes] == [
        ("station.mp4", "ingested"), ("broken.mp4", "failed"), ("garden.mp4", "ingested"), ("kitchen.mp4", "ingested")]
    # the first video was committed only after the third had started: none waited for the model
    assert events.index(("ingested", "station.mp4")) > events.index(("started", "kitchen.mp4"))
    with Library.open(settings.db_dir) as lib:
        assert lib.count("videos") == 3
        assert lib.index("visual").ntotal == lib.count("keyframes") > 0


def test_a_video_whose_speech_recognition_failed_is_tried_again_by_the_next_ingest(clips, settings, engines):
    """A failed recogniser costs the video its dialogue, not its place in the library; the next run does
    not skip it as unchanged but recognises it again, and then it is searchable by what is said."""
    import dataclasses

    class Broken:
        name = "broken"

        def transcribe(self, audio, language=None):
            raise RuntimeError("the recogniser ran out of memory")

    first = ingest([clips["garden"]], settings, engines=dataclasses.replace(engines, _transcriber=Broken()))
    assert [o.status for o in first.outcomes] == ["ingested"]
    assert "dialogue skipped" in first.outcomes[0].detail and "tries it again" in first.outcomes[0].detail
    assert _described(settings)["garden.mp4"]["dialogue"] == []
    second = ingest([clips["garden"]], settings, engines=engines)
    assert [o.status for o in second.outcomes] == ["ingested"], second.outcomes
    video = _described(settings)["garden.mp4"]
    assert any("umbrella" in d["text"].lower() for d in video["dialogue"])
    with Library.open(settings.db_dir) as lib:
        assert lib.count("videos") == 1 and not lib.failed_channels(lib.videos()[0]["id"])
    third = ingest([clips["garden"]], settings, engines=engines)
    assert [o.status for o in third.outcomes] == ["skipped"]  # and now it is done


def test_a_failure_recorded_by_an_older_version_is_still_tried_again(clips, settings, engines):
    """Libraries made before per-channel state kept failed speech recognition in ``dialogue_failed`` and
    text on screen read in ``screen_read``: both move to ``channel_state`` on the first writable open."""
    import sqlite3

    ingest([clips["garden"]], settings.with_overrides(ocr=False), engines=engines)
    with sqlite3.connect(settings.db_dir / "catalog.sqlite") as c:
        c.execute("CREATE TABLE dialogue_failed (video_id INTEGER PRIMARY KEY, reason TEXT NOT NULL, failed_at REAL)")
        c.execute("CREATE TABLE screen_read (video_id INTEGER PRIMARY KEY, reader TEXT NOT NULL, read_at REAL)")
        vid = c.execute("SELECT id FROM videos").fetchone()[0]
        c.execute("INSERT INTO dialogue_failed VALUES (?, 'RuntimeError: out of memory', 0)", (vid,))
        c.execute("INSERT INTO screen_read VALUES (?, 'an older reader', 0)", (vid,))
        c.execute("DROP TABLE channel_state")
        c.execute("DELETE FROM meta WHERE key='channel_state_moved'")
    with Library.open(settings.db_dir, writable=True) as lib:
        assert lib.failed_channels(vid) == {"dialogue": "RuntimeError: out of memory"}
        assert lib.videos_unread(SCREEN) == []  # read by the older version: reindex --ocr leaves it
    again = ingest([clips["garden"]], settings, engines=engines)
    assert [o.status for o in again.outcomes] == ["ingested"]  # not skipped as unchanged


def test_the_dialogue_language_setting_is_the_language_decoded_in(clips, settings, engines):
    """SCENE_FINDER_ASR_LANGUAGE: asked for Korean, Whisper decodes the English line as Korean (what a
    Korean library wants for quiet lines Whisper would otherwise call another language)."""
    ingest([clips["garden"]], settings.with_overrides(asr_language="ko"), engines=engines)
    video = _described(settings)["garden.mp4"]
    assert video["language"] == "ko" and video["dialogue"]
    assert not any("umbrella" in d["text"].lower() for d in video["dialogue"])  # not heard as English
