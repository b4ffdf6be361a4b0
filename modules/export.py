"""Output for editors and readers: found moments as MP4 clips, a CMX 3600 EDL, CSV and SRT.

One place writes every format, for the CLI (``search --export``), the pages and captioning.

- **Clips**: each moment with a margin. A stream copy when the clip's start falls on a
  keyframe (instant, no quality loss), else a frame-accurate re-encode; what was done and
  how long it took is reported.
- **EDL** (CMX 3600, non-drop frame): an event per moment; the source in/out are timecodes
  at the video's frame rate, the record in/out lay the moments end to end; the reel is
  ``AX`` with the file named in a ``* FROM CLIP NAME:`` comment, which is how editors import
  file-based media. (PySceneDetect's EDL writer fits one video's scene list, where record
  equals source time; a list of hits spans many videos.)
- **SRT**: composed by the ``srt`` library; for an export, one cue per moment on the EDL's
  record timeline, so it lines up with the assembled cut.

Names and text are data, never structure: every writer replaces control characters (a newline in
a file name would otherwise forge an EDL event or an SRT cue), and a CSV cell that a spreadsheet
would run as a formula (``=``, ``+``, ``-``, ``@``) is written as text.
"""

from __future__ import annotations

import csv
import io
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Callable, Sequence

from modules.schema import Hit

DEFAULT_MARGIN_S = 1.0


@dataclass(frozen=True)
class Moment:
    """A found moment as an editor needs it: the source span (margin included) and its words."""

    video: Path
    video_id: int
    start_s: float
    end_s: float
    fps: float
    text: str
    at_s: float  # the hit's frame

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Clip:
    path: Path
    moment: Moment
    method: str  # "stream copy" or "re-encode"
    seconds: float


@dataclass(frozen=True)
class NotCut:
    """A moment whose clip could not be made (its video moved or damaged since it was added)."""

    index: int  # 1-based, as in the EDL and the CSV
    moment: Moment
    reason: str


def one_line(text: str) -> str:
    """``text`` with every control or line-breaking character (newlines, tabs, escapes, U+2028...)
    replaced by a space and runs of spaces collapsed: safe inside one line of any format or a terminal."""
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in str(text))
    return " ".join(cleaned.split())


def _cell(text: str) -> str:
    """A CSV text cell a spreadsheet shows as text: a leading =, +, -, @ (a formula) gets a quote mark."""
    text = one_line(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def moments(hits: Sequence[Hit], lib, margin_s: float = DEFAULT_MARGIN_S) -> list[Moment]:
    """Hits as moments: the hit's shot with ``margin_s`` either side, kept inside the video and
    snapped to whole frames."""
    out = []
    for h in hits:
        v = lib.video(h.video_id)
        fps = float(v["fps"] or 25.0) if v is not None else 25.0
        duration = float(v["duration_s"] or 0.0) if v is not None else 0.0
        start = max(0.0, h.shot_start_s - margin_s)
        end = h.shot_end_s + margin_s
        if duration > 0:
            end = min(end, duration)
        start, end = round(start * fps) / fps, round(end * fps) / fps
        out.append(Moment(Path(h.video), h.video_id, start, max(end, start + 1 / fps), fps, h.text, h.frame_s))
    return out


def timecode(seconds: float, fps: float) -> str:
    """``HH:MM:SS:FF`` (non-drop frame) at the nominal integer rate of ``fps``."""
    rate = max(1, round(fps))
    frames = round(seconds * fps) if abs(fps - rate) < 1e-6 else round(seconds * rate)
    ff = frames % rate
    total = frames // rate
    return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}:{ff:02d}"


def edl(items: Sequence[Moment], title: str = "Scene Finder") -> str:
    """CMX 3600: one video event per moment, laid end to end on the record side."""
    rate = round(items[0].fps) if items else 25
    lines = [f"TITLE: {one_line(title)[:70] or 'Scene Finder'}", "FCM: NON-DROP FRAME", ""]  # UTF-8: a Korean query stays
    record = 0.0
    for i, m in enumerate(items, 1):
        src_in, src_out = timecode(m.start_s, m.fps), timecode(m.end_s, m.fps)
        frames = round(m.duration_s * m.fps)  # the event's length in its own frames, laid on the record rate
        rec_in, rec_out = timecode(record, rate), timecode(record + frames / m.fps, rate)
        lines.append(f"{i:03d}  AX       V     C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {one_line(m.video.name)}")
        if m.text:
            lines.append(f"* COMMENT: {one_line(m.text)[:200]}")
        lines.append("")
        record += frames / m.fps
    return "\n".join(lines)


def csv_text(items: Sequence[Moment], with_paths: bool = True) -> str:
    """One row a moment; ``with_paths=False`` leaves out where the files are (the app's download: a server's
    folders are not the visitor's business)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["#", "video", "video_id", *(["path"] if with_paths else []), "at_s", "start_s", "end_s", "start_tc",
                "end_tc", "fps", "text"])
    for i, m in enumerate(items, 1):
        w.writerow([i, _cell(m.video.name), m.video_id, *([_cell(str(m.video))] if with_paths else []),
                    f"{m.at_s:.3f}", f"{m.start_s:.3f}", f"{m.end_s:.3f}", timecode(m.start_s, m.fps),
                    timecode(m.end_s, m.fps), f"{m.fps:g}", _cell(m.text)])
    return buf.getvalue()


def srt_text(cues: Sequence[tuple[float, float, str]]) -> str:
    """SRT from (start_s, end_s, text) cues, in order."""
    import srt

    return srt.compose([srt.Subtitle(i, timedelta(seconds=max(0.0, a)), timedelta(seconds=max(a, b)), one_line(t or ""))
                        for i, (a, b, t) in enumerate(cues, 1)])


def hits_srt(items: Sequence[Moment]) -> str:
    """One cue per moment, on the EDL's record timeline."""
    cues, record = [], 0.0
    for m in items:
        cues.append((record, record + m.duration_s, m.text or m.video.name))
        record += m.duration_s
    return srt_text(cues)


def cut(moment: Moment, out: Path) -> Clip:
    """The moment as an MP4: stream copy when it starts on a keyframe, else a frame-accurate re-encode."""
    from modules.clips import export_clip, keyframe_at_or_before

    t0 = time.perf_counter()
    kf = keyframe_at_or_before(moment.video, moment.start_s)
    on_keyframe = kf is not None and abs(kf - moment.start_s) <= 0.5 / moment.fps
    _, method = export_clip(moment.video, moment.start_s, moment.end_s, out, exact=not on_keyframe)
    return Clip(out, moment, method, time.perf_counter() - t0)


def export(items: Sequence[Moment], folder: Path, query: str = "", clips: bool = True,
           progress: Callable[[int, int], None] | None = None) -> tuple[list[Path], list[Clip], list[NotCut]]:
    """Write hits.edl, hits.csv, hits.srt and (with ``clips``) one MP4 per moment into ``folder``.
    A moment that cannot be cut (its video gone or damaged) is returned with the reason; the others
    are cut all the same."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("hits.edl", edl(items, f"Scene Finder {query}")), ("hits.csv", csv_text(items)),
                       ("hits.srt", hits_srt(items))):
        (folder / name).write_text(text, encoding="utf-8")
        written.append(folder / name)
    made, failed = [], []
    if clips:
        for i, m in enumerate(items, 1):
            try:
                if not m.video.is_file():
                    raise FileNotFoundError(f"{m.video} is no longer there (moved or deleted since it was added)")
                made.append(cut(m, folder / _clip_name(i, m)))
            except Exception as exc:  # noqa: BLE001 - one missing or damaged source must not stop the others
                failed.append(NotCut(i, m, str(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"))
            if progress:
                progress(i, len(items))
    return written, made, failed


def _clip_name(i: int, m: Moment) -> str:
    """A clip file name from the video's, made safe as an upload's is (no folders, control or reserved
    characters, a length the file system takes)."""
    from modules.uploads import safe_filename

    return f"{i:02d}_{Path(safe_filename(m.video.name)).stem}_{m.start_s:.2f}-{m.end_s:.2f}.mp4"

