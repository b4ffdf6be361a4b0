"""One video's unit of work: probe, one decode (shots and keyframes, every channel's reader offered the
frames), each channel's rows and vectors; returned as a :class:`VideoResult` without touching the library,
so the same unit runs in a thread here or on a Ray worker.

A channel's reader may hand back a Future (the picture's keyframes are embedded in their own thread):
:class:`PendingVideo` holds the unit until they are done, and ingest analyses the next video meanwhile."""

from __future__ import annotations

import concurrent.futures as cf
import time
from dataclasses import dataclass, replace
from pathlib import Path

from modules.channels import IngestJob, Produced, Reader, Scan, registered
from modules.media import fingerprint, probe
from modules.schema import Keyframe, VideoResult
from modules.settings import Settings
from modules.shots import encode_jpeg, scan_video


@dataclass
class PendingVideo:
    """A video analysed but for what its channels are still computing (the keyframes' vectors)."""

    analysed: VideoResult
    _pending: dict[str, cf.Future]
    _t0: float  # when the unit started (time.perf_counter): total_s is counted from it

    def done(self) -> bool:
        return all(f.done() for f in self._pending.values())

    def result(self) -> VideoResult:
        """The whole unit (waits for its channels); raises what went wrong with them."""
        channels = dict(self.analysed.channels)
        timings = dict(self.analysed.timings_s)
        for name, future in self._pending.items():
            channels[name] = future.result()
            timings.update(channels[name].timings_s)
        timings["total_s"] = time.perf_counter() - self._t0
        return replace(self.analysed, channels=channels, timings_s=timings)


def process_video(path: Path, engines, settings: Settings, progress=None, info=None, fp: str | None = None) -> VideoResult:
    """One video to rows and vectors. Raises VideoOpenFailure for a file that cannot be used at all."""
    return start_video(path, engines, settings, progress, info, fp).result()


def start_video(path: Path, engines, settings: Settings, progress=None, info=None,
                fp: str | None = None) -> PendingVideo:
    """Everything of a unit but what its channels leave computing: ingest goes on to the next video
    meanwhile. Raises VideoOpenFailure for a file that cannot be used at all."""
    t0 = time.perf_counter()
    info = info or probe(path)
    fp = fp or fingerprint(path)
    job = IngestJob(info, engines, settings)
    # every reader starts before the decode (speech recognition runs beside it, in its own thread)
    readers: dict[str, Reader] = {}
    for ch in registered():
        reader = ch.reader(job)
        if reader is not None:
            readers[ch.name] = reader
    watching = [r for r in readers.values() if r.wants_frames]
    t = time.perf_counter()
    try:
        scan = scan_video(info, settings, (lambda ts: progress.video_advanced(path, ts)) if progress else None,
                          on_frame=_fan_out([r.offer for r in watching]), on_cut=_fan_out([r.cut for r in watching]))
    except BaseException:
        for reader in readers.values():
            reader.close()  # stop their threads; the decode's error is the one to report
        raise
    timings = {"decode_shots_s": time.perf_counter() - t}
    keyframes: list[Keyframe] = []
    seen = Scan(info, scan.shots, keyframes, [k.rgb for k in scan.keyframes])
    done: dict[str, Produced] = {}
    pending: dict[str, cf.Future] = {}
    for name, reader in readers.items():
        out = reader.finish(seen)
        if isinstance(out, cf.Future):
            pending[name] = out
        else:
            done[name] = out
            timings.update(out.timings_s)
        if pending and not keyframes:  # the thumbnails, while the pictures are embedded in their own thread
            keyframes.extend(Keyframe(k.shot_index, k.time_s, encode_jpeg(k.rgb)) for k in scan.keyframes)
    if not keyframes:  # no reader left work running
        keyframes.extend(Keyframe(k.shot_index, k.time_s, encode_jpeg(k.rgb)) for k in scan.keyframes)
    warnings = [w for p in done.values() for w in p.warnings]
    if scan.stats.bad_packets:
        warnings.insert(0, f"{scan.stats.bad_packets} damaged video packet(s) skipped")
    duration = info.duration_s if info.duration_s > 0 else scan.duration_s
    result = VideoResult(
        info=replace(info, duration_s=duration), fingerprint=fp, shots=scan.shots, keyframes=keyframes,
        channels=done, language=next((p.language for p in done.values() if p.language), ""),
        warnings=warnings, timings_s=timings,
    )
    return PendingVideo(result, pending, t0)


def _fan_out(calls: list):
    """One callable that calls each of ``calls`` with its arguments (None for none)."""
    if not calls:
        return None
    if len(calls) == 1:
        return calls[0]

    def every(*args) -> None:
        for each in calls:
            each(*args)

    return every
