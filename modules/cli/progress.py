"""Progress bars for a terminal (tqdm): the batch, the video being decoded, captions, Ray's nodes."""

from __future__ import annotations

import sys
from pathlib import Path


class TqdmProgress:
    def __init__(self, show: bool):
        from tqdm import tqdm

        self._tqdm = tqdm
        self._show = show
        self._batch = None
        self._video = None

    def batch_started(self, total: int) -> None:
        self._batch = self._tqdm(total=total, unit="video", desc="library", position=0, disable=not self._show)

    def video_started(self, path: Path, duration_s: float) -> None:
        # the per-video bar only on a terminal: in a log each redraw would be a line
        self._video = self._tqdm(total=round(duration_s, 1) or None, unit="s", desc=path.name[:30], position=1,
                                 leave=False, disable=not (self._show and sys.stderr.isatty()),
                                 bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}]")

    def video_advanced(self, path: Path, t_s: float) -> None:
        if self._video is not None:
            self._video.n = round(min(t_s, self._video.total or t_s), 1)
            self._video.refresh()

    def captions_started(self, total: int) -> None:
        self._caps = self._tqdm(total=total, unit="shot", desc="captions", disable=not self._show)

    def captions_advanced(self, done: int, total: int) -> None:
        self._caps.n = done
        self._caps.refresh()
        if done >= total:
            self._caps.close()

    def cluster_started(self, info: dict) -> None:
        where = f"{info['gpus']} GPU(s)" if info["gpus"] else f"{info['cpus']} CPU(s)"
        print(f"ray: {info['workers']} worker(s) on {where}, {info['cpus_per_worker']} core(s) each",
              file=sys.stderr)

    def nodes_advanced(self, stats: dict) -> None:
        if self._batch is not None:
            self._batch.set_postfix_str(", ".join(f"{s.host}: {s.videos} ({s.x_realtime:.1f}x)"
                                                  for s in stats.values())[:80])

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()

    def video_done(self, path: Path, status: str, detail: str = "") -> None:
        if self._video is not None:
            self._video.close()
            self._video = None
        if self._batch is not None:
            self._batch.update(1)
            if status == "failed":
                self._batch.write(f"failed  {path.name}: {detail}")
