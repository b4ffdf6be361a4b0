"""What an adversarial probe broke (issue 11), each case on real files, real SQLite, real processes."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import unicodedata
from pathlib import Path

import pytest

from modules import cli
from modules.ingest import find_videos, ingest
from modules.store import Library
from modules.clips import export_clip
from modules.media import probe
from modules.samples import SampleShot, make_clip
from modules.settings import Settings
from modules.uploads import safe_filename, save_upload
from modules.store.vector_index import VectorIndex
from tests.conftest import cli_env

ROOT = Path(__file__).resolve().parents[1]


def run_cli(args: list[str], settings: Settings, monkeypatch, capsys) -> tuple[int, str]:
    """``python main.py ARGS`` in this process (models stay loaded between calls); (exit code, output)."""
    for k, v in cli_env(settings).items():
        if k.startswith("SCENE_FINDER_"):
            monkeypatch.setenv(k, v)
    capsys.readouterr()
    rc = cli.main(args)
    out = capsys.readouterr()
    return rc, out.out + out.err


@pytest.fixture(scope="module")
def built(clips, base_settings, tmp_path_factory, engines) -> Path:
    """A pristine library of two clips, copied by each test that damages one."""
    db = tmp_path_factory.mktemp("pristine") / "db"
    ingest([clips["station"], clips["garden"]], base_settings.with_overrides(db_dir=db), engines=engines)
    return db


@pytest.fixture()
def lib_copy(built, settings) -> Settings:
    shutil.copytree(built, settings.db_dir)
    return settings


@contextlib.contextmanager
def mounted(kind: str, target: Path, size: str = ""):
    """A read-only bind mount or a small tmpfs at ``target``; skips where mounts are not allowed."""
    if kind == "ro":
        cmds = [["mount", "--bind", str(target), str(target)], ["mount", "-o", "remount,ro,bind", str(target)]]
    else:
        target.mkdir(parents=True, exist_ok=True)
        cmds = [["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target)]]
    done = 0
    for cmd in cmds:
        if shutil.which("mount") is None or subprocess.run(cmd, capture_output=True).returncode != 0:
            if done:
                subprocess.run(["umount", str(target)], capture_output=True)
            pytest.skip(f"cannot {' '.join(cmd[:3])} here (needs root and mount rights)")
        done += 1
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], capture_output=True)


# 1. every count and size a user can set is bounded, before anything is decoded ----------------------


def test_a_million_caption_frames_is_refused_before_any_decoding(clips, settings, monkeypatch, capsys):
    rc, out = run_cli(["caption", str(clips["station"]), "--start", "0", "--end", "5", "--frames", "1000000"],
                      settings, monkeypatch, capsys)
    assert rc == 2 and "caption_frames" in out and "between 1 and 32" in out
    monkeypatch.setenv("SCENE_FINDER_CAPTION_FRAMES", "1000000")
    with pytest.raises(ValueError, match="between 1 and 32"):
        Settings.from_env()


@pytest.mark.parametrize("args, words", [
    (["search", "x", "--from", "nan"], "--from must be a number"),
    (["search", "x", "--to", "inf"], "--to must be a number"),
    (["caption", "CLIP", "--start", "nan", "--end", "3"], "must be numbers of seconds"),
    (["ingest", "CLIP", "--workers", "100000"], "workers"),
    (["train-lora", "--train", "x.jsonl", "--epochs", "100000000"], "--epochs must be between"),
])
def test_numbers_out_of_range_get_a_clear_message(args, words, lib_copy, clips, monkeypatch, capsys):
    args = [str(clips["station"]) if a == "CLIP" else a for a in args]
    rc, out = run_cli(args, lib_copy, monkeypatch, capsys)
    assert rc == 2 and words in out and "Traceback" not in out


# 2. the catalogue never makes us delete or read outside the library ------------------------------------


def test_remove_never_deletes_outside_the_library_whatever_the_catalogue_says(lib_copy, tmp_path, monkeypatch,
                                                                               capsys):
    victim = tmp_path / "precious"
    victim.mkdir()
    (victim / "family.jpg").write_bytes(b"photo")
    outside = tmp_path / "outside.jpg"
    outside.write_bytes(b"\xff\xd8 not yours")
    with sqlite3.connect(lib_copy.db_dir / "catalog.sqlite") as c:
        c.execute("UPDATE videos SET fingerprint=? WHERE id=1", (str(victim),))
        c.execute("UPDATE keyframes SET thumb=? WHERE id=1", (f"thumbs/../../{outside.name}",))
    rc, out = run_cli(["search", "the ticket office is closed", "--json"], lib_copy, monkeypatch, capsys)
    assert rc == 0
    assert all(h["thumbnail"] != str(outside) for h in json.loads(out[out.index("{"):])["hits"])
    rc, out = run_cli(["remove", "1"], lib_copy, monkeypatch, capsys)
    assert rc == 0 and "removed" in out
    assert (victim / "family.jpg").read_bytes() == b"photo" and outside.exists()


# 3. read-only and damaged libraries --------------------------------------------------------------------


def test_a_library_on_a_read_only_mount_is_searched_and_listed(lib_copy, monkeypatch, capsys):
    with mounted("ro", lib_copy.db_dir):
        rc, out = run_cli(["library"], lib_copy, monkeypatch, capsys)
        assert rc == 0 and "station.mp4" in out
        rc, out = run_cli(["search", '"the last train"'], lib_copy, monkeypatch, capsys)
        assert rc == 0 and "station.mp4" in out
        rc, out = run_cli(["remove", "1"], lib_copy, monkeypatch, capsys)
        assert rc == 2 and ("read-only" in out or "write access" in out), out


def test_a_malformed_catalogue_says_what_to_do(lib_copy, monkeypatch, capsys):
    cat = lib_copy.db_dir / "catalog.sqlite"
    with sqlite3.connect(cat) as c:
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    cat.write_bytes(b"SQLite format 3\0" + os.urandom(4096) + cat.read_bytes()[4112:])
    before = cat.read_bytes()
    for args in (["library"], ["search", "train"], ["ingest", str(lib_copy.db_dir / "nothing")]):
        rc, out = run_cli(args, lib_copy, monkeypatch, capsys)
        assert rc == 2 and "damaged" in out and "rebuild" in out and "Traceback" not in out, (args, out)
    assert cat.read_bytes() == before  # nothing was written over the damaged file


# 4. one unreadable entry does not stop a folder ----------------------------------------------------------


def test_an_unreadable_entry_is_reported_and_the_folder_still_ingested(clips, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(clips["kitchen"], folder / "kitchen.mp4")
    # an entry whose stat fails (its target's name is longer than any file system allows: the same error
    # for root and for anyone else) and a link to itself
    (folder / "link.mp4").symlink_to(tmp_path / ("x" * 300) / "x.mp4")
    (folder / "loop.mp4").symlink_to(folder / "loop.mp4")
    with pytest.raises(OSError):
        (folder / "link.mp4").is_file()
    found, problems = find_videos([folder])
    assert [p.name for p in found] == ["kitchen.mp4"]
    assert any(p.path.name == "link.mp4" and "cannot read" in p.detail for p in problems)


# 5. uploads -------------------------------------------------------------------------------------------------


def test_a_long_korean_upload_name_fits_the_file_system(tmp_path):
    import io

    name = safe_filename("가" * 100 + ".mp4")
    assert name.endswith(".mp4") and len(name.encode()) <= 255
    saved = save_upload(io.BytesIO(b"x" * 10), "가" * 100 + ".mp4", tmp_path, 1 << 20)
    assert saved.read_bytes() == b"x" * 10


def test_two_uploads_of_one_name_at_once_keep_their_own_bytes(tmp_path):
    import io

    class Slow(io.BytesIO):
        def read(self, n=-1):
            barrier.wait(timeout=10)  # both are mid-copy at the same time
            return super().read(n)

    barrier = threading.Barrier(2)
    results: dict[int, Path] = {}

    def upload(i: int) -> None:
        results[i] = save_upload(Slow(bytes([i]) * 1000), "same.mp4", tmp_path, 1 << 20)

    threads = [threading.Thread(target=upload, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[1] != results[2]
    assert results[1].read_bytes() == b"\x01" * 1000 and results[2].read_bytes() == b"\x02" * 1000
    assert not list(tmp_path.glob("*.part"))


# 6. damaged index caches and thumbnails ----------------------------------------------------------------------


def test_a_flipped_byte_in_an_index_is_caught_rebuilt_and_written_back(lib_copy, monkeypatch, capsys):
    path = lib_copy.db_dir / "index" / "dialogue.multilingual-e5-small.faiss"
    raw = bytearray(path.read_bytes())
    raw[-40] ^= 0x01  # inside the vectors: FAISS would load this silently
    path.write_bytes(bytes(raw))
    rc, out = run_cli(["search", '"the last train"'], lib_copy, monkeypatch, capsys)
    assert rc == 0 and "station.mp4" in out
    rc, out = run_cli(["ingest", str(lib_copy.db_dir / "no-new-videos")], lib_copy, monkeypatch, capsys)
    assert "Traceback" not in out
    VectorIndex.load(path)  # written back whole: its checksum holds again


def test_reindex_cuts_deleted_thumbnails_again_from_the_video(lib_copy, monkeypatch, capsys):
    thumbs = lib_copy.db_dir / "thumbs"
    n = len(list(thumbs.rglob("*.jpg")))
    shutil.rmtree(next(thumbs.iterdir()))
    rc, out = run_cli(["reindex"], lib_copy, monkeypatch, capsys)
    assert rc == 0 and "thumbnails restored" in out, out
    assert len(list(thumbs.rglob("*.jpg"))) == n


# 7. a full disk ---------------------------------------------------------------------------------------------


def test_a_full_disk_fails_files_not_the_summary_and_leaves_no_debris(clips, settings, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        make_clip(folder / f"clip{i}.mp4", [SampleShot(2.0, source=i), SampleShot(2.0, source=i + 1)], audio=False)
    with mounted("tmpfs", tmp_path / "small", size="400k") as small:
        db = small / "db"
        out = subprocess.run([sys.executable, "main.py", "ingest", str(folder), "--db", str(db)], cwd=ROOT,
                             capture_output=True, text=True, env=cli_env(settings.with_overrides(db_dir=db)))
        text = out.stdout + out.stderr
        assert "Traceback" not in text, text
        summary = re.search(r"(\d+) ingested, (\d+) skipped, (\d+) failed", text)  # the summary line survived
        assert summary, text
        ingested, skipped, failed = map(int, summary.groups())
        assert failed >= 1 and ingested + skipped + failed == 6, text  # every file accounted for
        assert re.search(r"failed\s+clip\d\.mp4: .*space", text, re.IGNORECASE), text  # and why it failed
        assert not list(db.rglob("*.tmp"))
        with Library.open(db) as lib:  # opens and is consistent
            known = lib.fingerprints()
            assert {p.name for p in (db / "thumbs").iterdir()} <= known


# 8. the app ---------------------------------------------------------------------------------------------------


def test_server_folders_are_limited_to_the_media_roots(tmp_path):
    s = Settings(media_roots=str(tmp_path / "media"))
    (tmp_path / "media" / "films").mkdir(parents=True)
    (tmp_path / "media" / "escape").symlink_to("/etc")
    assert s.allowed_folder(tmp_path / "media" / "films")
    assert not s.allowed_folder(Path("/etc")) and not s.allowed_folder(tmp_path / "media" / "escape")
    assert not s.allowed_folder(tmp_path / "media" / ".." / "elsewhere")


@pytest.mark.parametrize("codec, ext", [("wmv2", "wmv"), ("flv", "flv")])
def test_a_span_of_a_wmv_or_flv_is_re_encoded_for_the_player(codec, ext, tmp_path):
    src = tmp_path / f"old.{ext}"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
                    "-c:v", codec, str(src)], check=True)
    out = tmp_path / "clip.mp4"
    lead, method = export_clip(src, 1.0, 3.0, out)
    info = probe(out)
    assert lead == 0.0 and method == "re-encode" and abs(info.duration_s - 2.0) < 0.15 and info.video_codec == "h264"


def test_eight_requests_for_the_same_clip_at_once_all_get_it(clips, tmp_path):
    out = tmp_path / "same.mp4"
    errors: list[BaseException] = []

    def cut() -> None:
        try:
            export_clip(clips["station"], 1.0, 5.0, out)
            probe(out)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=cut) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


# 9. smaller ------------------------------------------------------------------------------------------------------


def test_a_portrait_phone_clip_gets_portrait_thumbnails(tmp_path, settings, engines):
    land = tmp_path / "land.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x180:rate=25:duration=2",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(land)], check=True)
    phone = tmp_path / "phone.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(land), "-c", "copy", "-metadata:s:v:0", "rotate=90",
                    str(phone)], check=True)
    ingest([phone], settings, engines=engines)
    from PIL import Image

    thumbs = list((settings.db_dir / "thumbs").rglob("*.jpg"))
    assert thumbs
    for t in thumbs:
        w, h = Image.open(t).size
        assert h > w and w == settings.thumb_width


def test_video_filter_matches_a_decomposed_korean_file_name(clips, settings, engines, tmp_path):
    folder = tmp_path / "nfd"
    folder.mkdir()
    nfd = unicodedata.normalize("NFD", "영화 역.mp4")
    shutil.copy(clips["station"], folder / nfd)
    ingest([folder], settings, engines=engines)
    from modules.search import Searcher

    s = Searcher(settings, engines)
    try:
        hits = s.search("the ticket office", video=unicodedata.normalize("NFC", "영화")).hits
    finally:
        s.close()
    assert hits and unicodedata.normalize("NFC", Path(hits[0].video).name) == "영화 역.mp4"


def test_remove_by_a_name_two_videos_share_asks_for_an_id_and_ids_are_never_reused(
        clips, settings, engines, tmp_path, monkeypatch, capsys):
    for d, clip in (("a", "station"), ("b", "garden")):
        (tmp_path / d).mkdir()
        shutil.copy(clips[clip], tmp_path / d / "take.mp4")
    ingest([tmp_path / "a", tmp_path / "b"], settings, engines=engines)
    rc, out = run_cli(["remove", "take.mp4"], settings, monkeypatch, capsys)
    assert rc == 2 and "remove one by its id" in out and "#1" in out and "#2" in out
    rc, _ = run_cli(["remove", "2"], settings, monkeypatch, capsys)
    assert rc == 0
    ingest([clips["kitchen"]], settings, engines=engines)
    with Library.open(settings.db_dir) as lib:
        assert sorted(v["id"] for v in lib.videos()) == [1, 3]


def test_a_clip_for_the_browser_is_h264_and_aac_whatever_the_source(clips, tmp_path):
    """An AVI of MPEG-4 Part 2 video and AC-3 audio stream-copied into MP4 plays in no browser: for the
    player its clip is re-encoded to H.264 + AAC; an H.264/AAC source is still only copied."""
    import av

    from modules.clips import browser_playable

    avi = tmp_path / "old.avi"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(clips["station"]), "-c:v", "mpeg4", "-c:a", "ac3",
                    str(avi)], check=True)
    assert not browser_playable(avi) and browser_playable(clips["station"])
    lead, method = export_clip(avi, 1.0, 3.0, tmp_path / "old.mp4", for_browser=True)
    assert method == "re-encode" and lead == 0.0
    with av.open(str(tmp_path / "old.mp4")) as c:
        assert c.streams.video[0].codec_context.name == "h264" and c.streams.audio[0].codec_context.name == "aac"
    assert export_clip(clips["station"], 1.0, 3.0, tmp_path / "new.mp4", for_browser=True)[1] == "stream copy"
