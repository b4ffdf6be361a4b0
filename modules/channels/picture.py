"""The picture: each keyframe embedded by the image-text model, searched by the query's picture text
(translated for an English-only model) and by a frame or an image ("more like this")."""

from __future__ import annotations

import concurrent.futures as cf
import time
from dataclasses import dataclass

import numpy as np

from modules.channels.base import (Channel, ChannelMatch, IngestJob, Produced, QueryContext, Reader, Scan,
                                   best_per_shot)

# The keyframes go through the picture model in this thread (one model, one queue): a video's pictures are
# embedded while its dialogue is still being recognised and, in a batch, while the next video is decoded.
_PICTURES = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pictures")


class _PictureReader(Reader):
    def __init__(self, engines):
        self._engines = engines

    def finish(self, scan: Scan) -> cf.Future:
        return _PICTURES.submit(self._embed, [k for k in scan.keyframe_rgb])

    def _embed(self, rgb: list[np.ndarray]) -> Produced:
        t = time.perf_counter()
        visual = self._engines.visual  # (waits for the picture model's load)
        loaded = time.perf_counter()
        vectors = visual.encode_images(rgb, threads=self._engines.picture_threads) if visual else None
        return Produced(vectors={} if vectors is None else {"": vectors},
                        timings_s={"picture_model_wait_s": loaded - t, "embed_images_s": time.perf_counter() - loaded})


@dataclass(frozen=True)
class PictureChannel(Channel):
    def stamps(self, engines):
        from modules.schema import ChannelStamp

        vis = engines.visual
        return {self.name: ChannelStamp(vis.identity, vis.dim) if vis else ChannelStamp(None, 0, note=engines.visual_note)}

    def reader(self, job: IngestJob) -> Reader:
        return _PictureReader(job.engines)

    def searchable(self, library, stamps: dict, models: set[str]) -> tuple[list[str], str]:
        have = library.channel_stamp(self.name)
        if have is None or have.model is None:
            return [], f"off ({(have.note if have else '') or 'no vectors in this library'})"
        if stamps[self.name].model is None:
            return [], f"off ({stamps[self.name].note})"
        return [self.name], "on"

    def retrieve(self, ctx: QueryContext) -> dict[int, ChannelMatch]:
        vec = ctx.vectors.get("image", {}).get("")
        if vec is None:
            return {}
        return best_per_shot(ctx, self.name, vec, self, lambda score, rid, r: ChannelMatch(score, rid, r["time_s"]))

    @property
    def row_columns(self) -> str:
        return "id, shot_id, time_s, thumb"

    def curve_key(self, m: ChannelMatch, library) -> str | None:
        stamp = library.channel_stamp(self.name)
        return stamp.model if stamp else None

    def curve_scores(self, m: ChannelMatch, weights) -> dict[str, float]:
        return {k: m.score for k in weights}


PICTURE = PictureChannel("visual", "picture", "keyframes", model="picture", text_column="", vector_column="vec",
                         query_part="picture", shows_moment=False)
