"""Where units run: in this process one after another (each video's pictures embedded while the next is
decoded), in a pool of threads, or on Ray (``modules/ingest/ray.py``). The caller picks one; each calls
``commit(item, outcome)`` in the calling thread, which stays the only writer."""

from __future__ import annotations

import collections
import concurrent.futures as cf
from typing import Callable, Protocol

from modules.ingest.analyse import PendingVideo
from modules.ingest.work import IngestProgress, WorkItem

MAX_PENDING = 3  # videos waiting for the picture model (while it loads) before the next is started

Start = Callable[[WorkItem], PendingVideo]
Commit = Callable[[WorkItem, Callable], None]


class Executor(Protocol):
    nodes: dict

    def run(self, items: list[WorkItem], start: Start, commit: Commit, progress: IngestProgress) -> None: ...


class InOrder:
    """Each video is committed, in order, once its keyframes are embedded; meanwhile the next is analysed."""

    nodes: dict = {}

    def run(self, items, start, commit, progress) -> None:
        pending: collections.deque = collections.deque()

        def settle(keep: int) -> None:
            while pending and (len(pending) > keep or pending[0][1].done()):
                item, unit = pending.popleft()
                commit(item, unit.result)

        for item in items:
            try:
                unit = start(item)
            except Exception as exc:  # noqa: BLE001 - said in its turn, by commit
                unit = cf.Future()
                unit.set_exception(exc)
            pending.append((item, unit))
            settle(MAX_PENDING)
        settle(0)


class Threads:
    """Units in parallel threads; the calling thread commits them as they finish."""

    nodes: dict = {}

    def __init__(self, workers: int):
        self.workers = workers

    def run(self, items, start, commit, progress) -> None:
        with cf.ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="ingest") as pool:
            futures = {pool.submit(lambda it: start(it).result(), item): item for item in items}
            try:
                for fut in cf.as_completed(futures):
                    commit(futures[fut], fut.result)
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)  # what has not started never starts
                raise


def for_settings(settings) -> Executor:
    """The executor the settings ask for: Ray (``ray_address``), threads (``workers`` > 1), or in order."""
    if settings.ray_address:
        from modules.ingest.ray import OnRay

        return OnRay(settings)
    return Threads(settings.workers) if settings.workers > 1 else InOrder()
