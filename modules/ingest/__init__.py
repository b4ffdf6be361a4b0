"""Bulk ingest, in parts: ``work.py`` (what is found and decided, the summary), ``analyse.py`` (one video's
unit of work), ``committer.py`` (the one writer), ``executors.py`` (in order, threads) and ``ray.py`` (Ray
workers), ``batch.py`` (``ingest``: a batch from paths to the library)."""

from modules.ingest.analyse import PendingVideo, process_video, start_video
from modules.ingest.batch import ingest
from modules.ingest.work import IngestProgress, IngestSummary, Outcome, WorkItem, find_videos

__all__ = ["ingest", "process_video", "start_video", "PendingVideo", "IngestProgress", "IngestSummary", "Outcome",
           "WorkItem", "find_videos"]
