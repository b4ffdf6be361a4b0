"""Ingest on a real local Ray runtime (no mocks): a batch, a worker killed mid-batch, and the
library equal to a plain ingest of the same files."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

from tests.conftest import index_sizes
from modules.ingest import IngestProgress, WorkItem, ingest
from modules.store import Library

ray = pytest.importorskip("ray", reason="Ray is installed by ./setup.sh --dev (requirements-ray.txt)")


@pytest.fixture(scope="module")
def runtime():
    """One local runtime for the module (starting one takes several seconds); 2 CPUs, like this machine."""
    # a worker given doomed.mp4 is killed (modules/faults.py): every time, whichever worker it is
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).resolve().parents[1]),
                                       "SCENE_FINDER_KILL_AT": "ray-unit@doomed.mp4"}})
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def batch(clips, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("ray_batch")
    for i, name in enumerate(["station", "garden", "kitchen", "station", "garden"]):
        shutil.copy(clips[name], d / f"{i}_{name}.mp4")
        if i >= 3:  # new content, not a duplicate of the first copies
            with open(d / f"{i}_{name}.mp4", "ab") as f:
                f.write(b"\0" * (512 * i))
    (d / "broken.mp4").write_text("not a video")
    return d


def listing(db: Path) -> list:
    with Library.open(db) as lib:
        out = []
        for v in lib.videos():
            d = lib.describe(v["id"])
            out.append((d["name"], [(s["start_s"], s["end_s"], s["keyframes_s"]) for s in d["shots"]],
                        [(g["start_s"], g["end_s"], g["text"]) for g in d["dialogue"]]))
        return sorted(out)


class KillOneWorker(IngestProgress):
    """Kills one worker process (SIGKILL) as soon as the second video has been handed out."""

    def __init__(self):
        self.actors, self.started, self.killed, self.nodes = [], 0, None, {}

    def cluster_started(self, info: dict) -> None:
        self.actors = info["actors"]

    def video_started(self, path: Path, duration_s: float) -> None:
        self.started += 1
        if self.started == 2 and self.killed is None:
            pid = ray.get(self.actors[0].describe.remote())["pid"]
            os.kill(pid, signal.SIGKILL)
            self.killed = pid

    def nodes_advanced(self, stats: dict) -> None:
        self.nodes = stats


def test_a_batch_on_ray_survives_a_killed_worker_and_equals_a_plain_ingest(runtime, batch, settings, engines,
                                                                           tmp_path):
    on_ray = settings.with_overrides(db_dir=tmp_path / "ray_db", ray_address="local", ray_cpus_per_worker=1)
    progress = KillOneWorker()
    summary = ingest([batch], on_ray, progress=progress)
    status = {o.path.name: (o.status, o.detail) for o in summary.outcomes}
    assert progress.killed is not None
    assert status.pop("broken.mp4")[0] == "failed"  # the video's own problem: reported, not retried
    assert all(s == "ingested" for s, _ in status.values()), status  # the killed worker's video was redone
    assert len(status) == 5
    assert sum(n.videos for n in summary.nodes.values()) == 5 and progress.nodes

    plain = settings.with_overrides(db_dir=tmp_path / "plain_db")
    ingest([batch], plain, engines=engines)
    assert listing(on_ray.db_dir) == listing(plain.db_dir)
    with Library.open(on_ray.db_dir) as lib:
        assert index_sizes(lib, "dialogue") == [lib.count("segments")] * 2
        assert lib.index("visual").ntotal == lib.count("keyframes")


def test_shipped_files_are_ingested_under_their_own_paths(runtime, clips, settings, tmp_path):
    s = settings.with_overrides(ray_address="local", ray_ship_mb=64, ray_cpus_per_worker=2)
    summary = ingest([clips["kitchen"]], s)
    assert [o.status for o in summary.outcomes] == ["ingested"]
    with Library.open(s.db_dir) as lib:
        assert [v["path"] for v in lib.videos()] == [str(clips["kitchen"].resolve())]


def test_a_path_no_worker_can_read_is_refused_with_what_to_do(runtime, clips, settings, tmp_path):
    from modules.ingest.ray import OnRay

    committed, commit = _reported()

    gone = tmp_path / "only_on_the_driver.mp4"
    shutil.copy(clips["kitchen"], gone)
    OnRay(settings.with_overrides(ray_address="local")).run([WorkItem(gone, None, "0" * 32)], None, commit,
                                                            _SizeLies(gone))
    assert committed and "cannot read" in committed[0] and "--ray-ship-mb" in committed[0]


def _reported():
    """(what the driver reported, the commit callback that collects it)."""
    committed = []

    def commit(item, outcome):
        try:
            outcome()
        except Exception as exc:  # noqa: BLE001 - what the driver would report
            committed.append(str(exc))

    return committed, commit


class _SizeLies(IngestProgress):
    """Right after the video is handed out (the worker is still loading its models), the file at that
    path changes: the worker sees another file than the driver did, as on a node without the share."""

    def __init__(self, path: Path):
        self.path = path

    def video_started(self, path: Path, duration_s: float) -> None:
        self.path.write_bytes(b"x")


def test_a_video_whose_worker_dies_every_time_is_given_up_after_three_tries(runtime, clips, settings, tmp_path):
    from modules.ingest.ray import MAX_ATTEMPTS

    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(clips["garden"], folder / "doomed.mp4")
    shutil.copy(clips["kitchen"], folder / "kitchen.mp4")
    s = settings.with_overrides(ray_address="local", ray_cpus_per_worker=2)
    summary = ingest([folder], s)
    status = {o.path.name: (o.status, o.detail) for o in summary.outcomes}
    assert status["kitchen.mp4"][0] == "ingested"  # the batch went on
    assert status["doomed.mp4"][0] == "failed"
    assert f"its worker died {MAX_ATTEMPTS} times" in status["doomed.mp4"][1]
    with Library.open(s.db_dir) as lib:
        assert [v["name"] for v in lib.videos()] == ["kitchen.mp4"]


def test_a_file_gone_before_it_was_handed_out_is_said_as_gone(runtime, settings, tmp_path):
    from modules.ingest.ray import OnRay

    committed, commit = _reported()

    OnRay(settings.with_overrides(ray_address="local")).run([WorkItem(tmp_path / "deleted.mp4", None, "0" * 32)],
                                                            None, commit, IngestProgress())
    assert committed and "no longer there" in committed[0] and "mounted" not in committed[0]


@pytest.mark.parametrize("when", ["ray-init+2", "ray-init+4.5", "ray-dispatched"])  # early and late in its start
def test_ctrl_c_of_the_driver_says_interrupted_and_the_next_run_goes_on(clips, settings, tmp_path, when):
    """Ctrl+C reaches the driver's whole process group (the Ray runtime it started too), while Ray starts
    or once a video is handed out: the driver says so, exits 130, and the same command then finishes."""
    import subprocess
    import sys

    from tests.conftest import cli_env

    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("station", "garden"):
        shutil.copy(clips[name], folder / f"{name}.mp4")
    env = {**cli_env(settings), "SCENE_FINDER_INTERRUPT_AT": when}
    cmd = [sys.executable, "main.py", "ingest", str(folder), "--ray"]
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=300,
                         start_new_session=True)  # a group of its own, as a terminal gives a command
    assert out.returncode == 130, (out.returncode, out.stderr[-2000:])
    assert "interrupted; the library keeps what was committed" in out.stderr
    env.pop("SCENE_FINDER_INTERRUPT_AT")
    again = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    with Library.open(settings.db_dir) as lib:
        assert sorted(v["name"] for v in lib.videos()) == ["garden.mp4", "station.mp4"]
