"""End to end in a real browser: the app on 127.0.0.1, Debian's Chromium driven by Playwright
through ingesting a sample clip, searching a spoken line, and seeing the hit with its time."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import cli_env

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "test-artifacts"
WAIT_MS = 240_000  # the first page load also loads the models; ingest runs Whisper


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(settings, tmp_path):
    port = _free_port()
    env = {**cli_env(settings), "SCENE_FINDER_UPLOAD_DIR": str(tmp_path / "uploads"),
           "SCENE_FINDER_MEDIA_ROOTS": str(tmp_path)}
    log = open(tmp_path / "streamlit.log", "w")
    # the app command, from another folder: what a user runs (its settings apply wherever it is run from)
    proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), "app", "--port", str(port)],
                            cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + (tmp_path / "streamlit.log").read_text()[-2000:])
    yield url, proc
    proc.terminate()  # as a service manager stops it: the server itself ends, nothing is left behind
    proc.wait(30)
    log.close()
    assert not [p for p in psutil.process_iter(["cmdline"]) if f"--server.port {port}" in " ".join(p.info["cmdline"] or [])]


def test_the_app_listens_on_this_machine_only(server):
    """Whatever folder it is started from, the app answers on the loopback address and nowhere else."""
    import psutil

    url, proc = server
    port = int(url.rsplit(":", 1)[1])
    procs = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    listening = [c.laddr for p in procs for c in p.net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN and c.laddr.port == port]
    assert listening and all(a.ip in ("127.0.0.1", "::1") for a in listening), listening


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./setup.sh --dev installs it)")
def test_ingest_then_search_in_a_real_browser(server, clips, tmp_path):
    server, _ = server
    from playwright.sync_api import expect, sync_playwright

    folder = tmp_path / "to_add"
    folder.mkdir()
    shutil.copy(clips["station"], folder / "station.mp4")
    # an AVI as old cameras and rips have it: MPEG-4 Part 2 video, AC-3 audio (no browser plays either)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clips["garden"]), "-c:v", "mpeg4", "-c:a", "ac3",
                    str(folder / "garden.avi")], check=True)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--autoplay-policy=no-user-gesture-required"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server}/ingest")
        page.get_by_role("tab", name="Folder on this server").click()
        page.get_by_label("Folder (searched recursively for videos)").fill(str(folder))
        page.get_by_label("Folder (searched recursively for videos)").press("Enter")
        page.get_by_role("button", name="Ingest folder").click()
        expect(page.get_by_text("2 ingested, 0 skipped, 0 failed")).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "ingest.png"), full_page=True)

        page.goto(server)
        box = page.get_by_label("Describe the scene, in Korean or English")
        box.fill("매표소가 오늘 문을 닫았대")
        box.press("Enter")
        expect(page.get_by_text("station.mp4").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("00:00").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("ticket office", exact=False).first).to_be_visible(timeout=WAIT_MS)
        expect(box).to_have_value("매표소가 오늘 문을 닫았대")
        page.get_by_role("button", name=re.compile("Play from 00:00")).first.click()
        expect(page.locator("video")).to_be_visible(timeout=WAIT_MS)
        plays(page)
        page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
        page.mouse.click(5, 5)  # the query box without its focus ring
        box.screenshot(path=str(ARTIFACTS / "query_box.png"))

        page.get_by_role("button", name=re.compile("Cut clip")).first.click()
        with page.expect_download(timeout=WAIT_MS) as download:
            page.get_by_role("button", name=re.compile("Download clip")).first.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        page.screenshot(path=str(ARTIFACTS / "download.png"), full_page=True)

        box.fill('"bring the umbrella"')  # the AVI's line: its hit plays too, re-encoded for the browser
        box.press("Enter")
        expect(page.get_by_text(re.compile("station.mp4 from"))).to_have_count(0, timeout=WAIT_MS)  # a new query
        expect(page.locator("strong", has_text="bring the umbrella").first).to_be_visible(timeout=WAIT_MS)
        page.get_by_role("button", name=re.compile("Play from")).first.click()
        page.screenshot(path=str(ARTIFACTS / "avi_clicked.png"), full_page=True)
        expect(page.get_by_text(re.compile("garden.avi from"))).to_be_visible(timeout=WAIT_MS)
        plays(page)
        page.screenshot(path=str(ARTIFACTS / "plays_avi.png"), full_page=True)
        for name in ("", "ingest", "video_to_text", "people"):  # every page, in English
            page.goto(f"{server}/{name}")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(ARTIFACTS / f"page_{name or 'search'}_en.png"), full_page=True)

        korean = browser.new_page(viewport={"width": 1400, "height": 1000}, locale="ko-KR")  # a Korean browser
        korean.set_default_timeout(WAIT_MS)
        korean.goto(server)
        expect(korean.get_by_role("heading", name="장면 찾기")).to_be_visible(timeout=WAIT_MS)
        kbox = korean.get_by_label("장면을 설명하세요 (한국어 또는 영어)")
        kbox.fill("매표소가 오늘 문을 닫았대")
        kbox.press("Enter")
        expect(korean.get_by_role("button", name=re.compile("00:00부터 재생")).first).to_be_visible(timeout=WAIT_MS)
        # the label in Korean; a Korean paraphrase of the line is sure enough to say so (high or medium, as the demo)
        expect(korean.get_by_text(re.compile("신뢰도 (높음|보통)")).first).to_be_visible(timeout=WAIT_MS)
        for name, heading in (("", "장면 찾기"), ("ingest", "영상 추가"), ("video_to_text", "영상 설명"), ("people", "인물")):
            korean.goto(f"{server}/{name}")
            expect(korean.get_by_role("heading", name=heading)).to_be_visible(timeout=WAIT_MS)  # every page in Korean
            korean.wait_for_timeout(1000)
            korean.screenshot(path=str(ARTIFACTS / f"page_{name or 'search'}_ko.png"), full_page=True)
        korean.goto(f"{server}/ingest")
        expect(korean.get_by_text("라이브러리", exact=True)).to_be_visible(timeout=WAIT_MS)
        expect(korean.get_by_role("button", name="라이브러리에서 빼기")).to_be_visible(timeout=WAIT_MS)
        korean.goto(server)
        korean.get_by_text("English").click()  # the sidebar's switch
        expect(korean.get_by_role("heading", name="Find a scene")).to_be_visible(timeout=WAIT_MS)
        browser.close()
    assert (ARTIFACTS / "search.png").stat().st_size > 10_000
    from modules.media import probe

    assert saved.suffix == ".mp4" and probe(saved).duration_s > 1.0  # a clip that plays
    assert distinct_glyphs(ARTIFACTS / "query_box.png") >= 6  # "매표소가 오늘 문을 닫았대": 11 syllables


def plays(page) -> None:
    """The page's video element plays: it decoded frames and its clock moves on (a source the browser cannot
    decode stays at 0 with an error)."""
    page.wait_for_function("() => { const v = document.querySelector('video'); "
                           "return !!v && !v.error && v.readyState >= 2; }", timeout=WAIT_MS)
    start = page.evaluate("() => document.querySelector('video').currentTime")
    page.wait_for_function(f"() => document.querySelector('video').currentTime > {start} + 0.5", timeout=WAIT_MS)


def distinct_glyphs(png: Path) -> int:
    """How many different shapes the dark text of a screenshot holds. Without a CJK font Chromium draws
    every Hangul syllable as the same empty box: one shape, however many syllables; drawn, the syllables
    of a sentence are as many shapes as there are different ones."""
    import numpy as np
    from PIL import Image

    ink = np.asarray(Image.open(png).convert("L")) < 110
    cols = ink.any(0)
    shapes, start = set(), None
    for x, on in enumerate(list(cols) + [False]):
        if on and start is None:
            start = x
        elif not on and start is not None:
            piece = ink[:, start:x]
            rows = piece.any(1)
            shapes.add(piece[rows.argmax(): len(rows) - rows[::-1].argmax()].tobytes() + bytes([x - start]))
            start = None
    return len(shapes)
