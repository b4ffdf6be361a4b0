"""A request checked before anything loads, and its filters (a video, a time range) as the rows each
channel may return."""

from __future__ import annotations

import fnmatch
import math
import unicodedata

import numpy as np

from modules.channels import registered
from modules.errors import BadQuery
from modules.search.query import ParsedQuery, parse_query


def validate_request(query: str, top_k: int, from_s: float | None, to_s: float | None) -> ParsedQuery:
    """Check a request before anything loads; raises BadQuery with what to change."""
    for name, v in (("--from", from_s), ("--to", to_s)):
        if v is not None and not math.isfinite(v):
            raise BadQuery(f"{name} must be a number of seconds (got {v})")
    check_top_k(top_k)
    if (from_s is not None and from_s < 0) or (to_s is not None and to_s < 0):
        raise BadQuery("--from and --to are seconds from the start of a video and cannot be negative")
    if from_s is not None and to_s is not None and from_s > to_s:
        raise BadQuery(f"--from ({from_s}) is after --to ({to_s})")
    return parse_query(query)


def check_top_k(top_k: int) -> None:
    if not 1 <= top_k <= 100:
        raise BadQuery(f"--top-k must be between 1 and 100 (got {top_k})")


def allowed_rows(lib, on: list[str], video: str | None, from_s: float | None,
                 to_s: float | None) -> dict[str, np.ndarray] | None:
    """Row ids each channel that is ``on`` may return under the filters; None when there is no filter.
    Raises BadQuery when no video matches."""
    if not video and from_s is None and to_s is None:
        return None
    rows = lib.video_names()
    want = _nfc(video) if video else None
    exact = [r["id"] for r in rows if want and want in (_nfc(r["name"]), _nfc(r["path"]))]
    vids = exact or [r["id"] for r in rows if _name_matches(want, r)]
    if not vids:
        raise BadQuery(f"no video in the library matches {video!r}; see: python main.py library")
    lo = from_s if from_s is not None else -1.0
    hi = to_s if to_s is not None else 1e12
    return {ch.name: lib.rows_in(ch, vids, lo, hi) for ch in registered() if ch.name in on}


def _nfc(text: str) -> str:
    """File names come in NFC or NFD (macOS writes Korean decomposed): compare them composed."""
    return unicodedata.normalize("NFC", text)


def _name_matches(pattern: str | None, row) -> bool:
    if not pattern:
        return True
    name = _nfc(row["name"]).casefold()
    p = _nfc(pattern).casefold()
    if any(ch in p for ch in "*?["):
        return fnmatch.fnmatch(name, p) or fnmatch.fnmatch(_nfc(row["path"]).casefold(), p)
    return p in name
