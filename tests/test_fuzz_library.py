"""Fuzzing the library's files: the catalogue, the manifest, the index caches and the thumbnails,
each truncated, with flipped bytes, or deleted. After each, `library` and `search` answer or say
what is wrong and what to do; `reindex` repairs what can be derived again; no traceback; no
catalogue row is lost."""

from __future__ import annotations

import json
import random
import shutil
import zlib

import pytest

from tests.test_reliability import built, mounted, run_cli  # noqa: F401 - fixtures shared with the probe tests

TARGETS = {
    "catalogue": "catalog.sqlite",
    "manifest": "manifest.json",
    "visual index": "index/visual.faiss",
    "dialogue index (e5)": "index/dialogue.multilingual-e5-small.faiss",
    "dialogue index (USE-m)": "index/dialogue.universal-sentence-encoder-multilingual-3.faiss",
    "thumbnail": "thumbs/*/0.jpg",
}
MODES = ("truncated", "flipped", "deleted")


def damage(path, mode: str, seed: int) -> None:
    raw = bytearray(path.read_bytes())
    if mode == "deleted":
        path.unlink()
    elif mode == "truncated":
        path.write_bytes(bytes(raw[: len(raw) // 3]))
    else:
        rng = random.Random(seed)
        for _ in range(8):
            i = rng.randrange(len(raw))
            raw[i] ^= 1 << rng.randrange(8)
        path.write_bytes(bytes(raw))


def listing(out: str) -> list:
    return [(v["name"], len(v["shots"]), [d["text"] for d in v["dialogue"]]) for v in json.loads(out)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("target", list(TARGETS))
def test_a_damaged_library_file_is_said_or_repaired_never_a_traceback(target, mode, built, settings,
                                                                       monkeypatch, capsys):
    shutil.copytree(built, settings.db_dir)
    rc, out = run_cli(["library", "--json"], settings, monkeypatch, capsys)
    assert rc == 0
    pristine = listing(out)
    path = next(settings.db_dir.glob(TARGETS[target]))
    damage(path, mode, seed=zlib.crc32(f"{target}/{mode}".encode()))

    for args in (["library"], ["search", "the last train to the harbour"], ["reindex"]):
        rc, out = run_cli(args, settings, monkeypatch, capsys)
        assert "Traceback" not in out, (args, out)
        assert rc == 0 or (rc == 2 and "damaged" in out and "python main.py" in out), (args, rc, out)

    rc, out = run_cli(["library", "--json"], settings, monkeypatch, capsys)
    if target == "catalogue" and rc != 0:
        assert rc == 2 and "damaged" in out  # a damaged catalogue is said, with the way to rebuild it
        return
    assert rc == 0
    # whatever still opens lists what was there: a damaged page that SQLite read without noticing would
    # show here as a changed name, a lost shot or a line of dialogue that was never said
    assert listing(out) == pristine
    if target != "catalogue":
        rc, out = run_cli(["search", '"the last train"'], settings, monkeypatch, capsys)
        assert rc == 0 and "station.mp4" in out
        from modules.store.vector_index import VectorIndex

        for f in (settings.db_dir / "index").glob("*.faiss"):
            VectorIndex.load(f)  # every cache written back whole
        assert json.loads((settings.db_dir / "manifest.json").read_text())["channels"]


def test_a_library_on_a_read_only_mount_answers_and_refuses_writes_clearly(built, settings, monkeypatch, capsys):
    shutil.copytree(built, settings.db_dir)
    with mounted("ro", settings.db_dir):
        for args, ok in ((["library"], True), (["search", "umbrella"], True), (["reindex"], False),
                         (["ingest", str(settings.db_dir)], False)):
            rc, out = run_cli(args, settings, monkeypatch, capsys)
            assert "Traceback" not in out
            assert rc == 0 if ok else (rc == 2 and "write access" in out), (args, out)
