"""The ingest's one writer: each unit's outcome, in the calling thread, into the library (or reported as
failed); the library's models checked before the first write; index caches saved now and then."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Callable

from models.weights import WeightsUnavailable
from modules.channels import registered
from modules.errors import LibraryMismatch, SceneFinderError
from modules.ingest.work import IngestProgress, IngestSummary, Outcome, WorkItem
from modules.schema import VideoResult
from modules.store import Library

log = logging.getLogger(__name__)

SAVE_EVERY_S = 120.0


class Committer:
    def __init__(self, lib: Library, summary: IngestSummary, progress: IngestProgress, needs_asr: bool):
        self.lib, self.summary, self.progress = lib, summary, progress
        self.engines = None
        self._needs_asr = needs_asr  # the recogniser runs here (not on Ray workers): checked before a write
        self._checked = False
        self._last_save = time.perf_counter()

    def use(self, engines) -> None:
        """The models that made the units; the library's are compared with them as soon as they loaded."""
        self.engines = engines
        if engines.visual_ready:  # else it is checked when it has loaded, before the first write
            self._check_models()

    def _check_models(self) -> None:
        """Raises LibraryMismatch when the library was built by other models; notes a picture channel that
        is off, and a text model that is configured but left out (not installed, or not in the library yet)."""
        e, w = self.engines, self.summary.warnings
        stamps = e.stamps()
        w.extend(self.lib.check_models(stamps, for_write=True))
        w.extend(f"text model left out: {note}" for note in e.text_notes)
        for ch in registered():  # a channel whose model cannot be had here is off, said once a batch
            stamp = stamps.get(ch.name)
            if stamp is not None and stamp.model is None:
                w.append(f"{ch.name} channel off: {stamp.note}; the other channels are still indexed")
        self._checked = True

    def __call__(self, item: WorkItem, outcome: Callable[[], VideoResult]) -> None:
        """``outcome()`` returns the unit's VideoResult or raises what went wrong with it."""
        try:
            self._commit(item, outcome())
        except (LibraryMismatch, WeightsUnavailable):
            raise  # the whole batch would be written with other models, or without one: nothing is
        except SceneFinderError as exc:
            self._report(item, "failed", str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the batch
            log.debug("%s failed:\n%s", item.path, traceback.format_exc())
            self._report(item, "failed", f"{type(exc).__name__}: {exc}")
        if time.perf_counter() - self._last_save > SAVE_EVERY_S:
            self.lib.save_indexes()
            self._last_save = time.perf_counter()

    def _commit(self, item: WorkItem, result: VideoResult) -> None:
        if not self._checked:  # the picture model loaded beside the first video: checked before a write
            self._check_models()
        if self._needs_asr:  # it loaded beside the first video too: a recogniser that could not be had
            _ = self.engines.transcriber  # stops the batch here, before a write (raises WeightsUnavailable)
        same = self.lib.video_by_fingerprint(result.fingerprint)  # another file of this batch, same content
        if same is not None and same["id"] != item.replace_id:
            self._report(item, "skipped", "same content as a video already in the library")
            return
        self.lib.add_video(result, replace_id=item.replace_id)
        self.summary.video_seconds += result.info.duration_s
        detail = ", ".join([f"{len(result.shots)} shots"] + [
            f"{len(result.rows(ch.name))} {ch.rows_are}" for ch in registered()
            if ch.owns_table and (result.rows(ch.name) or ch.count_none)])
        if result.warnings:
            detail += "; " + "; ".join(result.warnings)
        self._report(item, "ingested", detail)

    def _report(self, item: WorkItem, status: str, detail: str) -> None:
        self.summary.outcomes.append(Outcome(item.path, status, detail))
        self.progress.video_done(item.path, status, "" if status == "skipped" else detail)
