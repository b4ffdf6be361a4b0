"""What a search answers: its hits, whether any is a confident match, and what the channels were."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from modules.schema import Hit

CANDIDATES = 100  # per channel and model, before fusion


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]
    no_confident_match: bool
    closest: Hit | None = None
    warnings: list[str] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        def hit(h: Hit) -> dict:
            d = asdict(h)
            d.pop("video_id"), d.pop("shot_id")
            return d

        out = {"query": self.query, "hits": [hit(h) for h in self.hits], "no_confident_match": self.no_confident_match}
        if self.closest is not None:
            out["closest"] = hit(self.closest)
        out["warnings"] = self.warnings
        out["channels"] = self.channels
        return out
