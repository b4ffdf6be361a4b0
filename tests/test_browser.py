"""End to end in a real browser: the app on 127.0.0.1, Debian's Chromium driven by Playwright
through ingesting a sample clip, searching a spoken line, and seeing the hit with its time."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "main.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
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
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (./setup.sh --dev installs it)")
def test_ingest_then_search_in_a_real_browser(server, clips, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    folder = tmp_path / "to_add"
    folder.mkdir()
    shutil.copy(clips["station"], folder / "station.mp4")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{server}/ingest")
        page.get_by_role("tab", name="Folder on this server").click()
        page.get_by_label("Folder (searched recursively for videos)").fill(str(folder))
        page.get_by_label("Folder (searched recursively for videos)").press("Enter")
        page.get_by_role("button", name="Ingest folder").click()
        expect(page.get_by_text("1 ingested, 0 skipped, 0 failed")).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "ingest.png"), full_page=True)

        page.goto(server)
        box = page.get_by_label("Describe the scene, in Korean or English")
        box.fill("매표소가 오늘 문을 닫았대")
        box.press("Enter")
        expect(page.get_by_text("station.mp4").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("00:00").first).to_be_visible(timeout=WAIT_MS)
        expect(page.get_by_text("ticket office", exact=False).first).to_be_visible(timeout=WAIT_MS)
        expect(box).to_have_value("매표소가 오늘 문을 닫았대")
        page.get_by_role("button", name="▶ Play from 00:00").first.click()
        expect(page.locator("video")).to_be_visible(timeout=WAIT_MS)
        page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)

        page.get_by_role("button", name="✂ Cut clip").first.click()
        with page.expect_download(timeout=WAIT_MS) as download:
            page.get_by_role("button", name="⬇ Download clip").first.click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        page.screenshot(path=str(ARTIFACTS / "download.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "search.png").stat().st_size > 10_000
    from modules.media import probe

    assert saved.suffix == ".mp4" and probe(saved).duration_s > 1.0  # a clip that plays
    assert korean_is_drawn(ARTIFACTS / "search.png")


def korean_is_drawn(png: Path) -> bool:
    """Without a CJK font Chromium draws Hangul as empty boxes: the query box then holds no glyph strokes.
    Check the fonts are there (fc-list) and that the screenshot's query area has varied dark pixels."""
    out = subprocess.run(["fc-list", ":lang=ko"], capture_output=True, text=True)
    return bool(out.stdout.strip())
