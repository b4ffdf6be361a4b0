"""The Streamlit pages under AppTest, with the test's library and models."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from modules.ingest import ingest
from modules.uploads import UploadRejected, safe_filename, save_upload
from tests.conftest import cli_env
from tests.tiny_vlm import build_tiny_vlm

TIMEOUT = 180
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture()
def app_env(settings, monkeypatch, tmp_path):
    """Point the app's Settings.from_env() at this test's library and models."""
    for k, v in cli_env(settings).items():
        if k.startswith("SCENE_FINDER_"):
            monkeypatch.setenv(k, v)
    monkeypatch.setenv("SCENE_FINDER_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setenv("SCENE_FINDER_MEDIA_ROOTS", str(tmp_path))  # the only server folder the app may read
    st.cache_resource.clear()
    st.cache_data.clear()
    yield settings
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture()
def filled(app_env, clips, engines):
    ingest([clips["station"], clips["garden"]], app_env, engines=engines)
    return app_env


def _page(name: str) -> AppTest:
    return AppTest.from_file(ROOT / "pages" / f"{name}.py", default_timeout=TIMEOUT)


def test_search_page_on_an_empty_library_says_how_to_add_videos(app_env):
    at = _page("search").run()
    assert not at.exception
    assert any("Ingest" in i.value for i in at.info)


def test_search_page_renders_hits_with_timestamps(filled):
    at = _page("search").run()
    assert not at.exception
    assert at.text_input(key="search.query") and at.selectbox(key="search.video")
    at.text_input(key="search.query").input('"the last train"').run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "station.mp4" in shown and "`00:04`" in shown
    assert any("last train" in m.value.lower() for m in at.markdown)
    _button(at, ".play").click().run()
    assert not at.exception and any("from 00:04" in s.value for s in at.subheader)


def test_search_page_errors_are_messages_not_tracebacks(filled, monkeypatch):
    at = _page("search").run()
    at.text_input(key="search.query").input("🙂🙂").run()
    assert not at.exception
    assert any("no words" in e.value for e in at.error)


def test_search_page_says_no_confident_match(filled, monkeypatch):
    st.cache_resource.clear()  # the picture channel stays on (a random test model, no calibration)
    at = _page("search").run()
    at.text_input(key="search.query").input("a spaceship landing on mars").run()
    assert not at.exception
    assert any("No confident match" in w.value for w in at.warning)
    assert any("low confidence" in m.value for m in at.markdown)  # the closest moments are still shown


def _button(at, suffix: str):
    return next(b for b in at.button if b.key and b.key.endswith(suffix))


def test_search_page_cuts_a_clip_shows_context_finds_more_like_it_and_exports(filled):
    at = _page("search").run()
    at.text_input(key="search.query").input('"the last train"').run()
    assert not at.exception
    assert len(at.get("download_button")) == 3  # export all: EDL, CSV, SRT
    _button(at, ".cut_go").click().run()
    assert not at.exception, at.exception
    assert len(at.get("download_button")) == 4
    assert any("clip:" in c.value and ("stream copy" in c.value or "re-encode" in c.value) for c in at.caption)
    _button(at, ".context").click().run()
    assert not at.exception
    assert any(h.value.startswith("In context: station.mp4") for h in at.subheader)
    assert any("last train" in c.value.lower() for c in at.caption)
    _button(at, ".similar").click().run()
    assert not at.exception, at.exception
    assert any(h.value.startswith("More like station.mp4") for h in at.subheader)
    assert any(m.value.startswith("**garden.mp4**") or m.value.startswith("**station.mp4**") for m in at.markdown)
    at.button(key="search.similar_back").click().run()
    assert not any(h.value.startswith("More like") for h in at.subheader)


def test_ingest_page_ingests_a_folder_and_lists_the_library(app_env, clips, engines, tmp_path):
    import shutil

    folder = tmp_path / "to_add"
    folder.mkdir()
    shutil.copy(clips["kitchen"], folder / "kitchen.mp4")
    at = _page("ingest").run()
    assert not at.exception and any("No videos" in i.value for i in at.info)
    at.text_input(key="ingest.folder").input(str(folder)).run()
    at.button(key="ingest.folder_go").click().run()
    assert not at.exception, at.exception
    assert any("1 ingested" in s.value for s in at.success)
    library_table = at.dataframe[-1]  # after the summary table
    assert library_table.value["video"].tolist() == ["kitchen.mp4"]
    at.button(key="ingest.remove").click().run()  # asked first
    at.button(key="ingest.remove_yes").click().run()
    assert not at.exception and any("No videos" in i.value for i in at.info)


def test_ingest_page_runs_a_folder_on_ray_and_shows_each_nodes_throughput(app_env, clips, tmp_path):
    import shutil

    pytest.importorskip("ray", reason="Ray is installed by ./setup.sh --dev")
    folder = tmp_path / "to_add"
    folder.mkdir()
    shutil.copy(clips["garden"], folder / "garden.mp4")
    at = _page("ingest").run()
    at.text_input(key="ingest.folder").input(str(folder)).run()
    at.checkbox(key="ingest.ray").check().run()
    at.button(key="ingest.folder_go").click().run()
    assert not at.exception, at.exception
    assert any("1 ingested" in s.value for s in at.success)
    assert at.dataframe[-1].value["video"].tolist() == ["garden.mp4"]
    # the node that did the work, with how many videos and how fast
    import re

    assert any(re.search(r"Ray: .+: 1 video\(s\), \d+\.\dx real time per worker", c.value) for c in at.caption), \
        [c.value for c in at.caption]


def test_ingest_page_refuses_a_missing_folder(app_env, tmp_path):
    at = _page("ingest").run()
    at.text_input(key="ingest.folder").input(str(tmp_path / "nowhere")).run()
    at.button(key="ingest.folder_go").click().run()
    assert not at.exception and any("not a folder" in e.value for e in at.error)


def test_ingest_page_refuses_a_folder_outside_the_media_roots(app_env):
    at = _page("ingest").run()
    at.text_input(key="ingest.folder").input("/etc").run()
    at.button(key="ingest.folder_go").click().run()
    assert not at.exception
    assert any("outside the media folders" in e.value and "SCENE_FINDER_MEDIA_ROOTS" in e.value for e in at.error)


def test_remove_while_another_tab_ingests_is_said_not_raised(filled):
    from modules.store import Library

    at = _page("ingest").run()
    at.button(key="ingest.remove").click().run()
    assert not at.exception and any("Remove" in w.value and "?" in w.value for w in at.warning)  # asked first
    assert len(at.dataframe[-1].value) == 2
    with Library.open(filled.db_dir, writable=True):  # another session's ingest holds the write lock
        at.button(key="ingest.remove_yes").click().run()
    assert not at.exception
    assert any("another ingest is writing" in e.value for e in at.error)
    assert len(at.dataframe[-1].value) == 2  # nothing removed


def test_video_to_text_page_captions_a_library_span(filled, monkeypatch, tmp_path):
    vlm = build_tiny_vlm(tmp_path / "tiny-llava")
    monkeypatch.setenv("SCENE_FINDER_CAPTION_MODEL", str(vlm))
    monkeypatch.setenv("SCENE_FINDER_LORA_DIR", str(tmp_path / "no-adapter"))
    monkeypatch.setenv("SCENE_FINDER_CAPTION_FRAMES", "2")
    st.cache_resource.clear()
    at = _page("video_to_text").run()
    assert not at.exception
    at.selectbox(key="v2t.pick").select("station.mp4").run()
    at.slider(key="v2t.span").set_value((4.0, 8.0)).run()
    at.button(key="v2t.go").click().run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**ko**" in text and "**en**" in text
    assert "last train" in " ".join(at.dataframe[0].value["line"].tolist()).lower()


def test_video_to_text_without_a_captioning_model_says_why_and_keeps_the_dialogue(filled, monkeypatch, tmp_path):
    monkeypatch.setenv("SCENE_FINDER_CAPTION_MODEL", str(tmp_path / "no-such-model"))
    st.cache_resource.clear()
    at = _page("video_to_text").run()
    at.selectbox(key="v2t.pick").select("station.mp4").run()
    at.slider(key="v2t.span").set_value((4.0, 8.0)).run()
    at.button(key="v2t.go").click().run()
    assert not at.exception, at.exception
    assert any("No caption for this span" in e.value and "SCENE_FINDER_CAPTION_MODEL" in e.value for e in at.error)
    assert "last train" in " ".join(at.dataframe[0].value["line"].tolist()).lower()  # what it heard is kept


def test_exports_from_the_app_keep_a_korean_title_and_leave_out_server_paths(filled):
    from pages.common import export_texts, searcher

    s = searcher()
    edl, csv, _ = export_texts(s, s.search("매표소가 오늘 문을 닫았대"))
    assert edl.startswith("TITLE: Scene Finder 매표소가 오늘 문을 닫았대")
    assert "station.mp4" in csv and "/" not in csv and ",path," not in csv.splitlines()[0]


def test_uploads_get_safe_names_and_a_size_limit(tmp_path):
    assert safe_filename("../../etc/passwd.mp4") == "passwd.mp4"
    assert safe_filename("C:\\clips\\영화 장면 01.MP4") == "영화 장면 01.mp4"
    assert safe_filename("a\x00b<>.mkv") == "ab__.mkv"
    p = save_upload(io.BytesIO(b"x" * 1000), "../clip.mp4", tmp_path, max_bytes=10_000)
    assert p == tmp_path / "clip.mp4" and p.read_bytes() == b"x" * 1000
    assert save_upload(io.BytesIO(b"y"), "clip.mp4", tmp_path, 10).name == "clip-1.mp4"
    with pytest.raises(UploadRejected, match="limit"):
        save_upload(io.BytesIO(b"z" * 100), "big.mp4", tmp_path, max_bytes=10)
    assert not list(tmp_path.glob("big*"))  # nothing half-written left behind
    with pytest.raises(UploadRejected, match="not a video"):
        save_upload(io.BytesIO(b"z"), "notes.txt", tmp_path, max_bytes=10)


def test_played_clips_are_pruned_to_the_newest(tmp_path):
    import os

    from pages.common import _prune

    for i in range(4):
        clip = tmp_path / f"c{i}.mp4"
        clip.write_bytes(b"x")
        clip.with_suffix(".lead").write_text("0.0")
        os.utime(clip, (1000 + i, 1000 + i))
    _prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c2.lead", "c2.mp4", "c3.lead", "c3.mp4"]


def test_what_cannot_run_is_offered_disabled_with_the_reason(app_env, clips, monkeypatch):
    """A library without a picture model: "More like this" is there, disabled, saying why; each card has one
    evidence line, and the cards are in the order of their confidence."""
    from modules.engines import load_engines

    no_visual = app_env.with_overrides(visual_model="ViT-B-32", visual_pretrained="openai", visual_config="")
    ingest([clips["station"], clips["garden"]], no_visual, engines=load_engines(no_visual))
    for key, value in (("VISUAL_MODEL", "ViT-B-32"), ("VISUAL_PRETRAINED", "openai"), ("VISUAL_CONFIG", "")):
        monkeypatch.setenv(f"SCENE_FINDER_{key}", value)
    st.cache_resource.clear()
    at = _page("search").run()
    at.text_input(key="search.query").input("매표소가 오늘 문을 닫았대").run()
    assert not at.exception, at.exception
    like = [b for b in at.button if b.key and b.key.endswith(".similar")]
    assert like and all(b.disabled and "no picture model" in b.help for b in like)
    lines = [m.value for m in at.markdown if m.value.startswith(("said:", "on screen:", "picture", "caption"))]
    assert len(lines) == len(like)  # one evidence line a card
    sure = [float(re.search(r"(\d+)%", m.value).group(1)) for m in at.markdown if "confidence" in m.value and "%" in m.value]
    assert sure == sorted(sure, reverse=True) and sure
    assert any("picture: not installed" in c.value for c in at.sidebar.caption)
