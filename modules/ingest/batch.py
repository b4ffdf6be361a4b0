"""Bulk ingest: files in, library rows out. Each file is decided on (new, changed, unchanged, a copy);
the models load only when there is work; units run on the executor the caller picks (in order, threads,
Ray) and are committed by the one writer (:class:`~modules.ingest.committer.Committer`)."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Iterable

from modules.engines import Engines, load_engines
from modules.ingest.analyse import PendingVideo, start_video
from modules.ingest.committer import Committer
from modules.ingest.executors import Executor, for_settings
from modules.ingest.work import IngestProgress, IngestSummary, Outcome, WorkItem, decide, find_videos
from modules.media import probe
from modules.settings import Settings
from modules.store import Library

log = logging.getLogger(__name__)


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    engines: Engines | None = None,
    progress: IngestProgress | None = None,
    captions: bool = False,
    use_adapter: bool = True,
    executor: Executor | None = None,
) -> IngestSummary:
    """Add new and changed videos under ``paths`` to the library at ``settings.db_dir``.

    Unchanged videos (same content, by fingerprint) are skipped; a changed file replaces its earlier
    version; a file that fails is reported and the batch goes on. ``executor``: where units run (by
    default what the settings ask for: ``modules.ingest.executors.for_settings``).
    Raises LibraryMismatch when the library was built by other models.
    """
    progress = progress or IngestProgress()
    t_start = time.perf_counter()
    if captions:  # a captioning model that cannot be had is said before any work is done
        from modules.captioning import get_captioner

        get_captioner(settings, use_adapter)
    files, problems = find_videos(list(paths))
    summary = IngestSummary(outcomes=list(problems))
    executor = executor or for_settings(settings)
    on_ray = bool(settings.ray_address)
    lib = Library.open(settings.db_dir, create=True, writable=True, exact_max=settings.exact_index_max)
    try:
        lib.repair()  # damaged index caches rebuilt, orphan thumbnails swept
        todo = _decide_all(lib, files, summary)
        committer = Committer(lib, summary, progress, needs_asr=not on_ray)
        if todo:  # models load only when there is work: a re-run with nothing new is instant
            # on Ray the workers transcribe and read; here only the stamps of the embedders are needed
            engines = engines or load_engines(settings, with_asr=not on_ray, with_ocr=not on_ray)
            committer.use(engines)
        progress.batch_started(len(todo))

        def start(item: WorkItem) -> PendingVideo:
            info = probe(item.path)
            progress.video_started(item.path, info.duration_s)
            return start_video(item.path, engines, settings, progress, info=info, fp=item.fingerprint)

        if todo:
            executor.run(todo, start, committer, progress)
            summary.nodes = executor.nodes
        if todo and not on_ray and settings.ocr and engines.ocr is None:
            summary.warnings.append(f"text on screen not read: {engines.ocr_note}")
        if captions:
            _caption_shots(lib, settings, engines, use_adapter, progress, summary)
    finally:
        lib.close()  # saves the index caches; what it could not save is a warning, not a lost summary
        summary.warnings.extend(lib.warnings)
    summary.seconds = time.perf_counter() - t_start
    return summary


def _decide_all(lib: Library, files: list[Path], summary: IngestSummary) -> list[WorkItem]:
    todo = []
    for path in files:
        decision = decide(lib, path)
        if isinstance(decision, Outcome):
            summary.outcomes.append(decision)
            if decision.status == "skipped":
                log.info("skipped %s: %s", path.name, decision.detail)
        else:
            todo.append(decision)
    return todo


def _caption_shots(lib: Library, settings: Settings, engines: Engines | None, use_adapter: bool,
                   progress: IngestProgress, summary: IngestSummary) -> None:
    """Caption every shot of the library that has no caption yet (new and earlier videos alike)."""
    from modules.captioning import caption_library, get_captioner

    pending = len(lib.uncaptioned_shots())
    if not pending:
        return
    engines = engines or load_engines(settings, with_asr=False)
    lib.check_models(engines.stamps(), for_write=True)
    captioner = get_captioner(settings, use_adapter)
    progress.captions_started(pending)
    n = caption_library(lib, captioner, engines.texts, settings, progress=progress.captions_advanced)
    summary.warnings.append(f"captioned {n} shot(s) with {captioner.identity}")
