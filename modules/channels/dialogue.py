"""The dialogue: speech recognised beside the decode, cut at the shots, each piece embedded with its
sentence (``modules/transcripts.py``) by every text model; quotes and lines said word for word are
found literally too."""

from __future__ import annotations

import concurrent.futures as cf
import logging
import time
from dataclasses import dataclass

from modules.channels.base import IngestJob, Produced, Reader, Row, Scan
from modules.channels.text import TextChannel

log = logging.getLogger(__name__)


class _DialogueReader(Reader):
    """Speech recognition runs in its own thread from the start of the decode (CTranslate2 and the video
    decoder both release the GIL); ``finish`` cuts what it heard at the shots and embeds it."""

    def __init__(self, job: IngestJob):
        self._job = job
        self._pool = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="asr")
        # (the recogniser may still be loading: it is waited for in this thread)
        self._heard = self._pool.submit(_transcribe, job.info.path, job.engines, job.settings.asr_language or None)

    def finish(self, scan: Scan) -> Produced:
        from modules.transcripts import dialogue_vectors, split_by_shots

        out = Produced()
        try:
            transcript, out.timings_s["asr_s"] = self._heard.result()
        except Exception as exc:  # noqa: BLE001 - a bad audio track costs the dialogue, not the video
            out.failed = f"{type(exc).__name__}: {exc}"
            out.warnings.append(f"dialogue skipped: {out.failed} (the next ingest tries it again)")
            log.warning("%s: dialogue skipped: %s", self._job.info.path.name, exc)
            return out
        finally:
            self._pool.shutdown(wait=False)
        segments = split_by_shots(transcript, scan.shots) if transcript else []
        out.language = transcript.language if transcript else ""
        out.rows = [Row(g.shot_index, g.start_s, g.end_s, g.text, {"language": g.language}) for g in segments]
        t = time.perf_counter()
        spoken = [(g.start_s, g.end_s, g.text) for g in segments]
        out.vectors = {m.key: dialogue_vectors(m, spoken) for m in self._job.engines.texts}
        out.timings_s["embed_dialogue_s"] = time.perf_counter() - t
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=False)


class _Silent(Reader):
    def finish(self, scan: Scan) -> Produced:
        return Produced(warnings=["no audio track: no dialogue"])


def _transcribe(path, engines, language: str | None):
    """(transcript or None, seconds); ``language``: the one to decode in (``Settings.asr_language``), or
    None to detect it."""
    from modules.media import decode_audio

    t = time.perf_counter()
    audio = decode_audio(path)
    if audio is None or len(audio) == 0:
        return None, time.perf_counter() - t
    return engines.transcriber.transcribe(audio, language), time.perf_counter() - t


@dataclass(frozen=True)
class DialogueChannel(TextChannel):
    def reader(self, job: IngestJob) -> Reader | None:
        if not job.info.has_audio:
            return _Silent()
        return _DialogueReader(job) if job.engines.asr_loaded else None


DIALOGUE = DialogueChannel("dialogue", "dialogue", "segments", columns=(("language", "TEXT"),), legacy_column="vec",
                           literal=True, in_context=True, centred=True, text_order=0,
                           rows_are="dialogue segments", count_none=True)
