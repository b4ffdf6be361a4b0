"""Bulk ingest: files in, library rows out.

``process_video`` is one unit of work: it probes, decodes (shots + keyframes in
one pass, dialogue in a parallel thread), embeds, and returns a
:class:`VideoResult` without touching the library. ``ingest`` runs units (in a
thread pool when ``workers > 1``) and is the single writer that commits them,
so the same unit can later run on other machines.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import logging
import os
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from models.weights import WeightsUnavailable
from modules.engines import Engines, load_engines
from modules.errors import LibraryMismatch, SceneFinderError
from modules.library import Library
from modules.media import VIDEO_SUFFIXES, decode_audio, fingerprint, probe
from modules.schema import Keyframe, VideoResult
from modules.settings import Settings
from modules.screen_text import ScreenTextStage
from modules.shots import encode_jpeg, scan_video
from modules.transcripts import dialogue_vectors, split_by_shots

log = logging.getLogger(__name__)

SAVE_EVERY_S = 120.0
MAX_PENDING = 3


class IngestProgress:
    """Callbacks for a progress display; the default shows nothing."""

    def batch_started(self, total: int) -> None: ...

    def video_started(self, path: Path, duration_s: float) -> None: ...

    def video_advanced(self, path: Path, t_s: float) -> None: ...

    def video_done(self, path: Path, status: str, detail: str = "") -> None: ...

    def captions_started(self, total: int) -> None: ...

    def captions_advanced(self, done: int, total: int) -> None: ...

    def cluster_started(self, info: dict) -> None:
        """Ray: the workers are up (``info``: workers, gpus, cpus, cpus_per_worker, actors)."""

    def nodes_advanced(self, stats: dict) -> None:
        """Ray: throughput so far per node (node id -> distributed.NodeStats)."""


@dataclass
class Outcome:
    path: Path
    status: str  # "ingested" | "skipped" | "failed"
    detail: str = ""


@dataclass
class IngestSummary:
    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    video_seconds: float = 0.0
    nodes: dict = field(default_factory=dict)  # Ray: node id -> NodeStats

    def by_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def nothing_done(self) -> bool:
        return not self.by_status("ingested") and not self.by_status("skipped")


def find_videos(paths: Sequence[Path]) -> tuple[list[Path], list[Outcome]]:
    """Expand folders (recursively, by video suffix); files named explicitly are kept
    whatever their suffix, so the user hears why one is not a video.

    An entry that cannot be read (no permission, a link to nowhere, a link loop) is
    reported and skipped; the walk goes on. Links to folders are not followed (no cycles).
    """
    found, problems = [], []
    seen = set()
    for p in paths:
        p = Path(p).expanduser()
        try:
            is_dir, exists = p.is_dir(), p.exists()
        except OSError as exc:
            problems.append(Outcome(p, "failed", f"cannot read: {exc.strerror or exc}"))
            continue
        if is_dir:
            items = _walk_videos(p, problems)
        elif exists:
            items = [p]
        else:
            problems.append(Outcome(p, "failed", "no such file or folder"))
            continue
        for f in items:
            try:
                key = f.resolve()
            except (OSError, RuntimeError) as exc:
                problems.append(Outcome(f, "failed", f"cannot read: {exc}"))
                continue
            if key not in seen:
                seen.add(key)
                found.append(key)
    return found, problems


def _walk_videos(root: Path, problems: list[Outcome]) -> list[Path]:
    def unreadable(exc: OSError) -> None:
        problems.append(Outcome(Path(exc.filename or root), "failed", f"cannot read: {exc.strerror or exc}"))

    out = []
    for folder, dirs, files in os.walk(root, onerror=unreadable):
        dirs.sort()
        for name in sorted(files):
            if Path(name).suffix.lower() not in VIDEO_SUFFIXES:
                continue
            f = Path(folder) / name
            try:
                if f.is_file():
                    out.append(f)
            except OSError as exc:
                problems.append(Outcome(f, "failed", f"cannot read: {exc.strerror or exc}"))
    return out


def process_video(path: Path, engines: Engines, settings: Settings, progress: IngestProgress | None = None,
                  info=None, fp: str | None = None) -> VideoResult:
    """One video to rows and vectors. Raises VideoOpenFailure for a file that cannot be used at all."""
    return start_video(path, engines, settings, progress, info, fp).result()


# The keyframes go through the picture model in this thread (one model, one queue): a video's pictures are
# embedded while its dialogue is still being recognised and, in a batch, while the next video is decoded.
_PICTURES = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pictures")


@dataclass
class PendingVideo:
    """A video analysed but for its keyframes' vectors, which are being computed."""

    analysed: VideoResult
    _vectors: cf.Future
    _t0: float  # when the unit started (time.perf_counter): total_s is counted from it

    def done(self) -> bool:
        return self._vectors.done()

    def result(self) -> VideoResult:
        """The whole unit (waits for the pictures); raises what went wrong with them."""
        kvecs, waited_s, seconds = self._vectors.result()
        timings = {**self.analysed.timings_s, "picture_model_wait_s": waited_s, "embed_images_s": seconds,
                   "total_s": time.perf_counter() - self._t0}
        return replace(self.analysed, keyframe_vectors=kvecs, timings_s=timings)


def _embed_pictures(engines: Engines, rgb: list[np.ndarray]) -> tuple[np.ndarray | None, float, float]:
    """(vectors or None, seconds waiting for the picture model, seconds embedding)"""
    t = time.perf_counter()
    visual = engines.visual  # (waits for the picture model's load)
    loaded = time.perf_counter()
    vectors = visual.encode_images(rgb, threads=engines.picture_threads) if visual else None
    return vectors, loaded - t, time.perf_counter() - loaded


def start_video(path: Path, engines: Engines, settings: Settings, progress: IngestProgress | None = None,
                info=None, fp: str | None = None) -> PendingVideo:
    """Everything of a unit but the keyframes' vectors, which it leaves computing: ingest goes on to
    the next video meanwhile. Raises VideoOpenFailure for a file that cannot be used at all."""
    progress = progress or IngestProgress()
    t0 = time.perf_counter()
    info = info or probe(path)
    fp = fp or fingerprint(path)
    timings: dict[str, float] = {}
    warnings: list[str] = []

    # Dialogue runs beside the picture pass: CTranslate2 and the video decoder both release the GIL.
    pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")
    # (the models may still be loading: each is waited for in the thread that uses it)
    asr_future = (pool.submit(_transcribe, path, engines, settings.asr_language or None)
                  if info.has_audio and engines.asr_loaded else None)
    # text on screen is read from the same decode, in its own thread
    read_text = settings.ocr and engines.ocr_loaded
    ocr = ScreenTextStage(lambda: engines.ocr, settings.ocr_every_s, settings.ocr_width) if read_text else None
    t = time.perf_counter()
    try:
        scan = scan_video(info, settings, lambda ts: progress.video_advanced(path, ts),
                          on_frame=ocr.offer if ocr else None)
        timings["decode_shots_s"] = time.perf_counter() - t
        # the keyframes are embedded while the dialogue and the text on screen may still be read
        vectors = _PICTURES.submit(_embed_pictures, engines, [k.rgb for k in scan.keyframes])
        keyframes = [Keyframe(k.shot_index, k.time_s, encode_jpeg(k.rgb)) for k in scan.keyframes]
    except BaseException:
        if ocr is not None:
            with contextlib.suppress(Exception):
                ocr.finish([])  # stop its thread; the decode's error is the one to report
        raise
    screen_texts = None
    if ocr is not None:
        t = time.perf_counter()
        try:
            screen_texts = ocr.finish(scan.shots)
        except Exception as exc:  # noqa: BLE001 - a reading failure costs the on-screen text, not the video
            warnings.append(f"text on screen skipped: {type(exc).__name__}: {exc}")
        timings["ocr_wait_s"] = time.perf_counter() - t
        timings["ocr_s"] = ocr.seconds
    if scan.stats.bad_packets:
        warnings.append(f"{scan.stats.bad_packets} damaged video packet(s) skipped")

    transcript, language, dialogue_failed = None, "", ""
    if asr_future is not None:
        try:
            transcript, timings["asr_s"] = asr_future.result()
            language = transcript.language if transcript else ""
        except Exception as exc:  # noqa: BLE001 - a bad audio track costs the dialogue, not the video
            dialogue_failed = f"{type(exc).__name__}: {exc}"
            warnings.append(f"dialogue skipped: {dialogue_failed} (the next ingest tries it again)")
            log.warning("%s: dialogue skipped: %s", path.name, exc)
    pool.shutdown(wait=False)
    if not info.has_audio:
        warnings.append("no audio track: no dialogue")
    segments = split_by_shots(transcript, scan.shots) if transcript else []

    t = time.perf_counter()
    spoken = [(g.start_s, g.end_s, g.text) for g in segments]
    svecs = {m.key: dialogue_vectors(m, spoken) for m in engines.texts}
    screen_vecs = {m.key: m.embed_passages([s.text for s in screen_texts or []]) for m in engines.texts}
    timings["embed_text_s"] = time.perf_counter() - t

    duration = info.duration_s if info.duration_s > 0 else scan.duration_s
    result = VideoResult(  # the keyframes' vectors follow (PendingVideo.result)
        info=replace(info, duration_s=duration),
        fingerprint=fp,
        shots=scan.shots,
        keyframes=keyframes,
        segments=segments,
        keyframe_vectors=None,
        segment_vectors=svecs,
        language=language,
        warnings=warnings,
        timings_s=timings,
        screen_texts=screen_texts,
        screen_vectors=screen_vecs if screen_texts is not None else None,
        screen_reader=engines.ocr.identity if screen_texts is not None else "",
        dialogue_failed=dialogue_failed,
    )
    return PendingVideo(result, vectors, t0)


def _transcribe(path: Path, engines: Engines, language: str | None):
    """(transcript or None, seconds); ``language``: the one to decode in (``Settings.asr_language``), or
    None to detect it."""
    t = time.perf_counter()
    audio = decode_audio(path)
    if audio is None or len(audio) == 0:
        return None, time.perf_counter() - t
    return engines.transcriber.transcribe(audio, language), time.perf_counter() - t


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    engines: Engines | None = None,
    progress: IngestProgress | None = None,
    captions: bool = False,
    use_adapter: bool = True,
) -> IngestSummary:
    """Add new and changed videos under ``paths`` to the library at ``settings.db_dir``.

    Unchanged videos (same content, by fingerprint) are skipped; a changed file
    replaces its earlier version; a file that fails is reported and the batch goes on.
    Raises LibraryMismatch when the library was built by other models.
    """
    progress = progress or IngestProgress()
    t_start = time.perf_counter()
    if captions:  # a captioning model that cannot be had is said before any work is done
        from modules.captioning import get_captioner

        get_captioner(settings, use_adapter)
    files, summary_outcomes = find_videos(list(paths))
    summary = IngestSummary(outcomes=list(summary_outcomes))
    lib = Library.open(settings.db_dir, create=True, writable=True, exact_max=settings.exact_index_max)
    checked_models = False
    try:
        lib.repair()  # damaged index caches rebuilt, orphan thumbnails swept
        todo = []
        for path in files:
            decision = _decide(lib, path)
            if decision[0] == "skip":
                summary.outcomes.append(Outcome(path, "skipped", decision[1]))
            elif decision[0] == "fail":
                summary.outcomes.append(Outcome(path, "failed", decision[1]))
            else:
                todo.append((path, decision[1], decision[2]))
        on_ray = bool(settings.ray_address)
        if todo:  # models load only when there is work: a re-run with nothing new is instant
            # on Ray the workers transcribe and read; here only the stamps of the embedders are needed
            engines = engines or load_engines(settings, with_asr=not on_ray, with_ocr=not on_ray)
            if engines.visual_ready:  # else it is checked when it has loaded, before the first write
                checked_models = _check_models(lib, engines, summary)
        progress.batch_started(len(todo))
        for o in summary.by_status("skipped"):
            log.info("skipped %s: %s", o.path.name, o.detail)
        last_save = time.perf_counter()

        def start(item) -> PendingVideo:
            path, _, fp = item
            info = probe(path)
            progress.video_started(path, info.duration_s)
            return start_video(path, engines, settings, progress, info=info, fp=fp)

        def run(item) -> VideoResult:
            return start(item).result()

        def commit(item, outcome) -> None:
            """``outcome()`` returns the unit's VideoResult or raises what went wrong with it."""
            nonlocal last_save, checked_models
            path, replace_id, _ = item
            try:
                result = outcome()
                if not checked_models:  # the picture model loaded beside the first video: checked before a write
                    checked_models = _check_models(lib, engines, summary)
                if not on_ray:  # it loaded beside the first video too: a recogniser that could not be had
                    _ = engines.transcriber  # stops the batch here, before a write (raises WeightsUnavailable)
                # another file of this batch may have had the same content
                same = lib.catalog.video_by_fingerprint(result.fingerprint)
                if same is not None and same["id"] != replace_id:
                    summary.outcomes.append(Outcome(path, "skipped", "same content as a video already in the library"))
                    progress.video_done(path, "skipped")
                    return
                lib.add_video(result, replace_id=replace_id)
                summary.video_seconds += result.info.duration_s
                detail = f"{len(result.shots)} shots, {len(result.segments)} dialogue segments"
                if result.screen_texts:
                    detail += f", {len(result.screen_texts)} lines of text on screen"
                if result.warnings:
                    detail += "; " + "; ".join(result.warnings)
                summary.outcomes.append(Outcome(path, "ingested", detail))
                progress.video_done(path, "ingested", detail)
            except (LibraryMismatch, WeightsUnavailable):
                raise  # the whole batch would be written with other models, or without one: nothing is
            except SceneFinderError as exc:
                summary.outcomes.append(Outcome(path, "failed", str(exc)))
                progress.video_done(path, "failed", str(exc))
            except Exception as exc:  # noqa: BLE001 - one broken file must not stop the batch
                log.debug("%s failed:\n%s", path, traceback.format_exc())
                reason = f"{type(exc).__name__}: {exc}"
                summary.outcomes.append(Outcome(path, "failed", reason))
                progress.video_done(path, "failed", reason)
            if time.perf_counter() - last_save > SAVE_EVERY_S:
                lib.save_indexes()
                last_save = time.perf_counter()

        if on_ray and todo:
            from modules.distributed import run_on_ray

            summary.nodes = run_on_ray(todo, settings, commit, progress)
        elif settings.workers <= 1:
            # each video is committed, in order, once its keyframes are embedded; meanwhile the next is
            # analysed (at most MAX_PENDING videos wait for the picture model, while it loads)
            pending: collections.deque = collections.deque()

            def settle(keep: int) -> None:
                while pending and (len(pending) > keep or pending[0][1].done()):
                    item, unit = pending.popleft()
                    commit(item, unit.result)

            for item in todo:
                try:
                    unit = start(item)
                except Exception as exc:  # noqa: BLE001 - said in its turn, by commit
                    unit = cf.Future()
                    unit.set_exception(exc)
                pending.append((item, unit))
                settle(MAX_PENDING)
            settle(0)
        else:  # units in parallel; this thread stays the only writer
            with cf.ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="ingest") as pool:
                futures = {pool.submit(run, item): item for item in todo}
                try:
                    for fut in cf.as_completed(futures):
                        commit(futures[fut], fut.result)
                except BaseException:
                    pool.shutdown(wait=True, cancel_futures=True)  # what has not started never starts
                    raise
        if todo and not on_ray and settings.ocr and engines.ocr is None:
            summary.warnings.append(f"text on screen not read: {engines.ocr_note}")
        if captions:
            _caption_shots(lib, settings, engines, use_adapter, progress, summary)
    finally:
        lib.close()  # saves the index caches; what it could not save is a warning, not a lost summary
        summary.warnings.extend(lib.warnings)
    summary.seconds = time.perf_counter() - t_start
    return summary


def _check_models(lib: Library, engines: Engines, summary: IngestSummary) -> bool:
    """Raises LibraryMismatch when the library was built by other models; notes a visual channel that is
    off, and a text model that is configured but left out (not installed, or not in this library yet)."""
    summary.warnings.extend(lib.check_models(engines.stamps(), for_write=True))
    summary.warnings.extend(f"text model left out: {note}" for note in engines.text_notes)
    if engines.visual is None:
        summary.warnings.append(f"visual channel off: {engines.visual_note}; dialogue is still indexed")
    return True


def _caption_shots(lib: Library, settings: Settings, engines: Engines | None, use_adapter: bool,
                   progress: IngestProgress, summary: IngestSummary) -> None:
    """Caption every shot of the library that has no caption yet (new and earlier videos alike)."""
    from modules.captioning import caption_library, get_captioner

    pending = len(lib.catalog.uncaptioned_shots())
    if not pending:
        return
    engines = engines or load_engines(settings, with_asr=False)
    lib.check_models(engines.stamps(), for_write=True)
    captioner = get_captioner(settings, use_adapter)
    progress.captions_started(pending)
    n = caption_library(lib, captioner, engines.texts, settings, progress=progress.captions_advanced)
    summary.warnings.append(f"captioned {n} shot(s) with {captioner.identity}")


def _decide(lib: Library, path: Path):
    """("skip", why) | ("fail", why) | ("process", replace_id or None, fingerprint or None)."""
    try:
        stat = path.stat()
    except OSError as exc:
        return ("fail", f"cannot read: {exc}")
    row = lib.catalog.video_by_path(path)
    if row is not None and row["size_bytes"] == stat.st_size and abs((row["mtime"] or 0) - stat.st_mtime) < 1e-3:
        if lib.catalog.dialogue_failed(row["id"]):  # its speech recognition failed last time: tried again
            return ("process", row["id"], row["fingerprint"])
        return ("skip", "unchanged")
    if stat.st_size == 0:
        return ("process", row["id"] if row else None, None)  # process_video reports the reason
    try:
        fp = fingerprint(path)
    except OSError as exc:
        return ("fail", f"cannot read: {exc.strerror or exc}")
    same = lib.catalog.video_by_fingerprint(fp)
    if same is not None and lib.catalog.dialogue_failed(same["id"]):
        return ("process", same["id"], fp)
    if same is not None:
        if same["path"] != str(path) and not Path(same["path"]).exists():
            lib.catalog.update_path(same["id"], path)
            return ("skip", f"moved from {same['path']}; path updated")
        if same["path"] == str(path):
            lib.catalog.update_path(same["id"], path)  # touched but same content
            return ("skip", "unchanged")
        return ("skip", f"same content as {Path(same['path']).name}, already in the library")
    return ("process", row["id"] if row is not None else None, fp)

