"""The manifest: which models made a library's vectors, and which indexes serve them.

It lives in the catalogue's meta table (the truth, committed with the rows it
describes); ``manifest.json`` beside it is a readable copy, rewritten by every writer,
so a damaged or deleted copy costs nothing. A library built by other models than the
configured ones is refused with the command that rebuilds it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from modules.catalog import SCHEMA_VERSION, Catalog
from modules.errors import LibraryMismatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelStamp:
    """What made a channel's vectors: model identity (None = channel off), dimension."""

    model: str | None
    dim: int
    normalized: bool = True
    note: str = ""

    def to_json(self) -> dict:
        return {"model": self.model, "dim": self.dim, "normalized": self.normalized, "note": self.note}


class Manifest:
    def __init__(self, catalog: Catalog, db_dir: Path):
        self._catalog = catalog
        self._file = Path(db_dir) / "manifest.json"

    @property
    def data(self) -> dict:
        value = self._catalog.meta("manifest", {})
        return value if isinstance(value, dict) else {}

    def channel_stamp(self, channel: str) -> ChannelStamp | None:
        c = self.data.get("channels", {}).get(channel)
        if not isinstance(c, dict) or "dim" not in c:
            return None
        return ChannelStamp(c.get("model"), int(c["dim"]), c.get("normalized", True), c.get("note", ""))

    def check_models(self, stamps: dict[str, ChannelStamp], *, for_write: bool) -> list[str]:
        """Compare the configured models with the ones that built the library.

        For writing, any difference is refused (vectors of two models in one index
        are meaningless). For reading, a channel whose model is not available now is
        switched off with a warning; a different model is refused. Returns warnings.
        On a new library, records the stamps.
        """
        if not self.data.get("channels"):
            if for_write:
                self._update(schema=SCHEMA_VERSION, channels={ch: st.to_json() for ch, st in stamps.items()})
            return []
        warnings = []
        added = {}
        for channel, want in stamps.items():
            have = self.channel_stamp(channel)
            if have is None and for_write:
                added[channel] = want.to_json()  # a channel newer than the library: it starts now
                continue
            if have is None or (have.model == want.model and have.dim == want.dim):
                continue
            if not for_write and want.model is None:
                warnings.append(f"{channel} channel off: {want.note or 'its model is not available here'}")
                continue
            if not for_write and have.model is None:
                continue  # library has no vectors for it: nothing to compare against
            raise LibraryMismatch(
                f"the library in {self._file.parent}/ was built with {channel} model {have.model or 'none'} "
                f"(dim {have.dim}); the configured one is {want.model or 'none'}"
                f"{' (' + want.note + ')' if want.note else ''}. "
                f"Run: python main.py reindex --db {self._file.parent}   to re-embed the library with the "
                f"configured models, or configure the library's models."
            )
        if added:
            self._update(channels={**self.data.get("channels", {}), **added})
        return warnings

    def set_channel(self, channel: str, stamp: ChannelStamp) -> None:
        """Inside the caller's transaction: the channel's vectors are now ``stamp``'s."""
        channels = dict(self.data.get("channels", {}))
        channels[channel] = stamp.to_json()
        self._update(export=False, channels=channels)

    def record_captioner(self, identity: str) -> None:
        self._update(captioner=identity)

    def record_index(self, channel: str, info: dict) -> None:
        index = dict(self.data.get("index", {}))
        index[channel] = info
        self._update(index=index)

    def _update(self, export: bool = True, **changes) -> None:
        data = self.data
        data.setdefault("created_at", time.time())
        data.update(changes)
        self._catalog.set_meta("manifest", data)
        if export:
            self.export()

    def export(self) -> None:
        """Rewrite the readable copy; a failure to write it is logged, never fatal."""
        tmp = self._file.with_name(self._file.name + ".tmp")
        try:
            tmp.write_text(json.dumps(self.data, indent=2, ensure_ascii=False))
            os.replace(tmp, self._file)
        except OSError as exc:
            log.warning("could not write %s (%s); the catalogue keeps the manifest", self._file, exc)
            with contextlib.suppress(OSError):
                tmp.unlink(missing_ok=True)
