"""More like this: shots whose pictures look like a frame of a video, or like an image."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from modules.channels import QueryContext, get
from modules.errors import BadQuery
from modules.schema import mmss
from modules.search import fusion
from modules.search.query import ParsedQuery
from modules.search.request import check_top_k
from modules.search.result import CANDIDATES, SearchResult

PICTURE_OFF = ("'more like this' compares pictures, and the picture channel is {state}. Turn it on with "
               "image-text weights (./setup.sh on a machine with a network, or --visual-pretrained PATH), then "
               "run: python main.py reindex")


def picture_channel_off(lib) -> str:
    """Why "more like this" cannot run on this library before any model loads ("" when it may)."""
    stamp = lib.channel_stamp("visual")
    if stamp is None or stamp.model is None:
        return PICTURE_OFF.format(state=f"off ({(stamp.note if stamp else '') or 'no picture vectors in this library'})")
    return ""


def more_like_this(searcher, video: str | None = None, at_s: float | None = None, image: np.ndarray | None = None,
                   top_k: int | None = None):
    """Shots whose pictures look like a frame of a video (a library id, name or path, or any video file,
    at ``at_s``) or like an ``image`` (RGB uint8). The frame's own shot is left out. Raises BadQuery when
    the picture channel is off (with how to turn it on)."""
    top_k = top_k or searcher.settings.top_k
    check_top_k(top_k)
    if searcher.channels["visual"] != "on":
        raise BadQuery(PICTURE_OFF.format(state=searcher.channels["visual"]))
    own_shot, label, vec = None, "the image", None
    if image is None:
        own_shot, label, image, vec = _frame_of(searcher, video, at_s)
    if image is not None:
        vec = searcher.engines.visual.encode_images([image])[0]
    picture = get("visual")
    ctx = QueryContext(ParsedQuery(label, (), label), searcher.lib, [picture.name], {"image": {"": vec}}, None, CANDIDATES)
    matches = picture.retrieve(ctx)
    matches.pop(own_shot, None)
    per_channel = {"visual": matches}
    fused = fusion.fuse(per_channel, {"visual": 1.0}, searcher.settings.rrf_k, searcher.settings.weight_quote)
    judge = searcher.confidence
    hits = searcher.hits(fused, per_channel, top_k, judge)
    warnings = list(searcher.warnings)
    if judge.uncalibrated(per_channel):
        warnings.append("ranked by picture similarity; the picture model has no calibrated threshold")
    return SearchResult(query=f"more like {label}", hits=hits, no_confident_match=False, warnings=warnings,
                        channels=dict(searcher.channels))


def _frame_of(searcher, video: str | None, at_s: float | None):
    """(the frame's own shot id, a label, the frame as RGB or None, its stored picture vector or None)."""
    if video is None or at_s is None or not math.isfinite(at_s) or at_s < 0:
        raise BadQuery("give a video (id, name or file) and --at SECONDS, or --image FILE")
    lib = searcher.lib
    rows = lib.videos_matching(video)
    path = Path(rows[0]["path"]) if rows else Path(video)
    label = f"{path.name} at {mmss(at_s, tenths=True)}"
    own_shot = lib.shot_at(rows[0]["id"], at_s) if rows else None
    if path.is_file():
        from modules.media import sample_frames

        frames = sample_frames(path, at_s, at_s + 0.04, 1, width=searcher.settings.thumb_width)
        if not frames:
            raise BadQuery(f"{path.name} has no frame at {at_s} s")
        return own_shot, label, frames[0], None
    if rows:  # the file is gone: its keyframe nearest the time still has a picture vector
        own_shot, vec = lib.keyframe_vector_near(rows[0]["id"], at_s)
        if vec is None:
            raise BadQuery(f"{path.name} is no longer there and has no picture vector near {at_s} s")
        return own_shot, label, None, vec
    raise BadQuery(f"no video {video!r} in the library or on disk; see: python main.py library")
