"""Text on screen: subtitles, title cards and signs read by OCR from the ingest's decode (one frame every
``ocr_every_s``, ``modules/screen_text.py``), embedded by every text model and matched literally even
unquoted (signs are remembered word for word)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from modules.channels.base import IngestJob, Produced, Reader, Row, Scan
from modules.channels.text import TextChannel


class _ScreenReader(Reader):
    wants_frames = True

    def __init__(self, channel: "ScreenChannel", job: IngestJob):
        from modules.screen_text import ScreenTextStage

        self._channel, self._engines = channel, job.engines
        s = job.settings
        self._stage = ScreenTextStage(lambda: job.engines.ocr, s.ocr_every_s, s.ocr_width)

    def offer(self, t_s: float, frame) -> None:
        self._stage.offer(t_s, frame)

    def finish(self, scan: Scan) -> Produced:
        t = time.perf_counter()
        out = Produced()
        try:
            texts = self._stage.finish(scan.shots)
        except Exception as exc:  # noqa: BLE001 - a reading failure costs the on-screen text, not the video
            out.warnings.append(f"text on screen skipped: {type(exc).__name__}: {exc}")
            texts = None
        out.timings_s = {"ocr_wait_s": time.perf_counter() - t, "ocr_s": self._stage.seconds}
        if texts is not None:
            out.rows = self._channel.rows_of(texts)
            out.vectors = self._channel.embed(self._engines, [r.text for r in out.rows])
            out.by = self._engines.ocr.identity
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._stage.finish([])  # stop its thread; the decode's error is the one to report


@dataclass(frozen=True)
class ScreenChannel(TextChannel):
    def reader(self, job: IngestJob) -> Reader | None:
        return _ScreenReader(self, job) if job.settings.ocr and job.engines.ocr_loaded else None

    def shown(self, text: str) -> str:
        from modules.screen_text import shown_on_screen

        return shown_on_screen(text)

    @staticmethod
    def rows_of(texts) -> list[Row]:
        return [Row(t.shot_index, t.start_s, t.end_s, t.text, {"confidence": t.confidence}) for t in texts]


SCREEN = ScreenChannel("screen", "on screen", "screen_texts", columns=(("confidence", "REAL"),), legacy_column="vec",
                       literal=True, literal_unquoted=True, how_to_fill="python main.py reindex --ocr", text_order=1,
                       json_key="screen_text", rows_are="lines of text on screen")
