"""What an ingest works on and reports: the files found under the paths given, one decision per file
(a :class:`WorkItem` to process, or an :class:`Outcome` already), the summary, and the progress callbacks."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from modules.media import VIDEO_SUFFIXES, fingerprint
from modules.store import Library


@dataclass(frozen=True)
class WorkItem:
    """One video to process: its path, the id of an earlier version it replaces, its fingerprint (None
    when not read yet)."""

    path: Path
    replace_id: int | None = None
    fingerprint: str | None = None


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
        """Ray: throughput so far per node (node id -> ray.NodeStats)."""


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


def decide(lib: Library, path: Path) -> WorkItem | Outcome:
    """What to do with one file: an item to process (new, changed, or a channel failed last time), or an
    outcome already (skipped: unchanged, moved, a copy; failed: unreadable)."""
    try:
        stat = path.stat()
    except OSError as exc:
        return Outcome(path, "failed", f"cannot read: {exc}")
    row = lib.video_by_path(path)
    if row is not None and row["size_bytes"] == stat.st_size and abs((row["mtime"] or 0) - stat.st_mtime) < 1e-3:
        if lib.failed_channels(row["id"]):  # its speech recognition failed last time: tried again
            return WorkItem(path, row["id"], row["fingerprint"])
        return Outcome(path, "skipped", "unchanged")
    if stat.st_size == 0:
        return WorkItem(path, row["id"] if row else None, None)  # process_video reports the reason
    try:
        fp = fingerprint(path)
    except OSError as exc:
        return Outcome(path, "failed", f"cannot read: {exc.strerror or exc}")
    same = lib.video_by_fingerprint(fp)
    if same is not None and lib.failed_channels(same["id"]):
        return WorkItem(path, same["id"], fp)
    if same is not None:
        if same["path"] != str(path) and not Path(same["path"]).exists():
            lib.update_path(same["id"], path)
            return Outcome(path, "skipped", f"moved from {same['path']}; path updated")
        if same["path"] == str(path):
            lib.update_path(same["id"], path)  # touched but same content
            return Outcome(path, "skipped", "unchanged")
        return Outcome(path, "skipped", f"same content as {Path(same['path']).name}, already in the library")
    return WorkItem(path, row["id"] if row is not None else None, fp)

