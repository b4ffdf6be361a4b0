"""Ingest on Ray: the same unit of work (``process_video``) in Ray actors, one writer on the driver.

Each actor loads the models once and processes videos one at a time; results stream back
to the driver, which commits each as it arrives through the ingest's single writer, so a
killed driver resumes like any interrupted ingest. A worker (or node) that dies loses no
video: its unit goes to a fresh worker, up to ``MAX_ATTEMPTS`` times, then is reported as
failed with the reason; the batch goes on. A video the unit itself rejects (not a video,
damaged) is not retried.

Workers must read the videos, one of two ways:
- shared storage mounted at the same path on every node (the default), or
- the bytes shipped through Ray's object store, for files up to ``ray_ship_mb`` MB
  (``--ray-ship-mb``; the object store holds them while they are processed).
A worker that cannot read a path it was not shipped refuses it with what to do.

``ray`` is imported only here, only for ``--ray``. GPU actors ask for one GPU each where
the cluster has GPUs; CPU actors take ``ray_cpus_per_worker`` cores each and size their
thread pools to them.
"""

from __future__ import annotations

import collections
import logging
import os
import socket
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable

from modules import faults
from modules.errors import SceneFinderError
from modules.ingest.work import WorkItem
from modules.settings import Settings

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
RAY_VERSION = "2.60.0"  # pinned in requirements-ray.txt
MAX_ATTEMPTS = 3  # a unit whose worker died is tried on this many workers in all
CONNECT_TIMEOUT_S = 10.0  # a cluster address that does not answer a TCP connect in this long is said so


class WorkerCannotRead(SceneFinderError):
    """A worker could not read a video it was not shipped."""


@dataclass
class NodeStats:
    host: str
    videos: int = 0
    video_s: float = 0.0
    busy_s: float = 0.0
    workers: set = field(default_factory=set)

    @property
    def x_realtime(self) -> float:
        return self.video_s / self.busy_s if self.busy_s else 0.0


def require_ray():
    try:
        import ray
    except ImportError as exc:
        raise SceneFinderError(
            f"--ray needs Ray: pip install -r requirements-ray.txt (ray=={RAY_VERSION}), or ./setup.sh --ray"
        ) from exc
    return ray


def _worker_class(ray):
    from modules.engines import load_engines
    from modules.ingest.analyse import process_video
    from modules.media import probe

    @ray.remote(max_restarts=0, max_task_retries=0)
    class IngestWorker:
        """Loads the models once; processes one video per call."""

        def __init__(self, settings: Settings):
            if settings.threads:
                os.environ["OMP_NUM_THREADS"] = str(settings.threads)
            self.settings = settings
            self.engines = load_engines(settings)
            if settings.threads:
                import torch

                torch.set_num_threads(settings.threads)
            self.where = {"node": ray.get_runtime_context().get_node_id()[:12], "host": socket.gethostname(),
                          "pid": os.getpid(), "device": self.engines.device}

        def describe(self) -> dict:
            return self.where

        def process(self, path: str, fingerprint: str, size: int, data=None):
            t0 = time.perf_counter()
            faults.point("ray-unit", Path(path).name)
            tmp = None
            try:
                if data is not None:  # shipped through the object store
                    fd, tmp = tempfile.mkstemp(suffix=Path(path).suffix, prefix="scene-finder-")
                    with os.fdopen(fd, "wb") as f:
                        f.write(data)
                    local = Path(tmp)
                else:
                    local = Path(path)
                    try:
                        readable = local.stat().st_size == size and os.access(local, os.R_OK)
                    except OSError:
                        readable = False
                    if not readable:
                        raise WorkerCannotRead(
                            f"the worker on {self.where['host']} cannot read {path}: put the videos on storage "
                            f"mounted at the same path on every node, or ship files up to N MB through Ray's "
                            f"object store with --ray-ship-mb N"
                        )
                info = probe(local)
                result = process_video(local, self.engines, self.settings, None, info=info, fp=fingerprint)
                if tmp is not None:  # the library keeps the user's path, not the worker's copy
                    result.info = replace(result.info, path=Path(path))
            finally:
                if tmp is not None:
                    os.unlink(tmp)
            return result, {**self.where, "busy_s": time.perf_counter() - t0}

    return IngestWorker


class OnRay:
    """Units on Ray workers (one model load per worker); each result comes back to the driver, which commits
    it. A worker (or node) that dies loses no work: its unit goes to another, up to MAX_ATTEMPTS times."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.nodes: dict[str, NodeStats] = {}  # throughput per node

    def run(self, items: list[WorkItem], start, commit: Callable, progress) -> None:
        ray = require_ray()
        started = False
        if not ray.is_initialized():
            self._join(ray)
            started = True
        self._actors: list = []
        try:
            self._dispatch(ray, items, commit, progress)
        finally:
            for actor in self._actors:
                try:
                    ray.kill(actor)
                except Exception:  # noqa: BLE001 - already gone
                    pass
            if started:
                ray.shutdown()

    def _join(self, ray) -> None:
        s = self.settings
        kw = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                  runtime_env={"env_vars": {"PYTHONPATH": str(ROOT)}})
        faults.point("ray-init")
        if s.ray_address == "local" and not os.environ.get("RAY_ADDRESS"):
            _init(ray, "a local Ray runtime", num_cpus=os.cpu_count(), **kw)  # a runtime of this machine's cores
        else:  # the cluster --ray names, or RAY_ADDRESS
            address = s.ray_address if s.ray_address != "local" else os.environ["RAY_ADDRESS"]
            reachable(address)
            _init(ray, f"the Ray cluster at {address}", address=address, **kw)

    def _workers(self, ray, wanted: int, progress) -> tuple[list, Callable]:
        """(idle workers, how to start another): one per GPU, else one per ``ray_cpus_per_worker`` CPUs."""
        s = self.settings
        resources = ray.cluster_resources()
        gpus, cpus = int(resources.get("GPU", 0)), max(1, int(resources.get("CPU", 1)))
        if gpus:
            per = max(1, cpus // gpus)
            n = s.ray_workers or gpus
            opts, worker_settings = {"num_gpus": 1, "num_cpus": per}, s.with_overrides(device="cuda", threads=per)
        else:
            per = min(s.ray_cpus_per_worker, cpus)
            n = s.ray_workers or max(1, cpus // per)
            opts, worker_settings = {"num_cpus": per}, s.with_overrides(device="cpu", threads=per)
        worker_settings = worker_settings.with_overrides(ray_address="")  # a worker never starts Ray itself
        Worker = _worker_class(ray)

        def new_worker():
            actor = Worker.options(**opts).remote(worker_settings)
            self._actors.append(actor)
            return actor

        idle = [new_worker() for _ in range(max(1, min(n, wanted)))]
        progress.cluster_started({"workers": len(idle), "gpus": gpus, "cpus": cpus, "cpus_per_worker": per,
                                  "actors": list(idle)})
        return idle, new_worker

    def _dispatch(self, ray, items: list[WorkItem], commit: Callable, progress) -> None:
        idle, new_worker = self._workers(ray, len(items), progress)
        queue = collections.deque((item, 1) for item in items)
        running: dict = {}
        ship_limit = self.settings.ray_ship_mb << 20
        while queue or running:
            while idle and queue:
                item, attempt = queue.popleft()
                size = _size(item.path)
                if size < 0:  # gone since the batch was listed: said as such, not as a storage problem
                    commit(item, _raiser(SceneFinderError(
                        f"{item.path.name} is no longer there (moved or deleted since the ingest started)")))
                    continue
                data = item.path.read_bytes() if 0 < size <= ship_limit else None
                actor = idle.pop()
                ref = actor.process.remote(str(item.path), item.fingerprint, size,
                                           ray.put(data) if data is not None else None)
                running[ref] = (actor, item, attempt)
                progress.video_started(item.path, _duration(item.path))
                faults.point("ray-dispatched")
            if running:  # (what was left may have been gone before it could be handed out)
                self._collect(ray, running, idle, queue, new_worker, commit, progress)

    def _collect(self, ray, running: dict, idle: list, queue, new_worker, commit: Callable, progress) -> None:
        """Wait for one unit and commit what came of it."""
        ready, _ = ray.wait(list(running), num_returns=1)
        ref = ready[0]
        actor, item, attempt = running.pop(ref)
        try:
            result, where = ray.get(ref)
        except ray.exceptions.RayActorError as exc:  # the worker process or its node died
            self._actors.remove(actor)
            idle.append(new_worker())
            if attempt < MAX_ATTEMPTS:
                log.warning("a worker died while processing %s; trying it on another (%d/%d)",
                            item.path.name, attempt + 1, MAX_ATTEMPTS)
                queue.append((item, attempt + 1))
            else:
                commit(item, _raiser(SceneFinderError(
                    f"its worker died {MAX_ATTEMPTS} times ({type(exc).__name__}); the video was not ingested")))
            return
        except ray.exceptions.RayTaskError as exc:  # the unit raised: the video's own problem, not retried
            idle.append(actor)
            cause = getattr(exc, "cause", None) or exc
            if isinstance(cause, WorkerCannotRead) and _size(item.path) < 0:
                cause = SceneFinderError(f"{item.path.name} was moved or deleted during the ingest")
            commit(item, _raiser(cause))
            return
        idle.append(actor)
        node = self.nodes.setdefault(where["node"], NodeStats(where["host"]))
        node.videos += 1
        node.video_s += result.info.duration_s
        node.busy_s += where["busy_s"]
        node.workers.add(where["pid"])
        commit(item, lambda result=result: result)
        progress.nodes_advanced(self.nodes)


def reachable(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raises SceneFinderError, naming the address, when a ``host:port`` or ``ray://host:port`` cluster
    address does not answer a TCP connect within ``timeout_s`` ("auto" is left to Ray)."""
    hostport = address.split("://", 1)[-1].rstrip("/")
    if address == "auto" or ":" not in hostport:
        return
    host, _, port = hostport.rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except (OSError, ValueError) as exc:
        raise SceneFinderError(
            f"no Ray cluster answers at {address} ({getattr(exc, 'strerror', None) or exc}); start one there "
            f"(ray start --head), check the address and port, or run --ray without an address for a runtime "
            f"on this machine") from exc


def _init(ray, what: str, **kw) -> None:
    """``ray.init`` in this thread (Ray installs its signal handlers here), its failure said with what it
    was joining."""
    try:
        ray.init(**kw)
    except (ConnectionError, RuntimeError, ValueError, TimeoutError) as exc:
        raise SceneFinderError(f"could not join {what} ({exc}); is it a Ray {RAY_VERSION} head? "
                               f"(ray status on that machine says)") from exc


def _raiser(exc: BaseException):
    def outcome():
        raise exc

    return outcome


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


def _duration(path: Path) -> float:
    from modules.media import probe

    try:
        return probe(path).duration_s
    except Exception:  # noqa: BLE001 - the driver may not read what the workers read; progress only
        return 0.0
