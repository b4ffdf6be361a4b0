"""Search channels, one file each (``base.py`` says what a channel is), and the registry that ingest,
the catalogue, search, reindex, the manifest and the pages iterate over.

A new channel: write its file (a :class:`~modules.channels.text.TextChannel` subclass, for text that the
text models embed) and add one ``register`` line below, or call :func:`register` from your own code.
"""

from __future__ import annotations

from modules.channels.base import (Channel, ChannelMatch, IngestJob, Produced, QueryContext, Reader, Row, Scan,
                                   model_key_of, space)

_REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    """Add (or replace) a channel; returns it."""
    _REGISTRY[channel.name] = channel
    return channel


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> list[Channel]:
    return list(_REGISTRY.values())


def get(name: str) -> Channel:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown channel {name!r}; available = {list(_REGISTRY)}") from None


def channel_of(space_name: str) -> Channel:
    """The channel a space (or a channel name) belongs to."""
    return get(space_name.split(".", 1)[0])


def is_registered(space_name: str) -> bool:
    """Whether a space's channel is registered in this process (a library may keep a plug-in's spaces)."""
    return space_name.split(".", 1)[0] in _REGISTRY


def text_channels() -> list[Channel]:
    return [c for c in _REGISTRY.values() if c.is_text]


from modules.channels.picture import PICTURE  # noqa: E402 - the built-in channels, after the registry
from modules.channels.dialogue import DIALOGUE  # noqa: E402
from modules.channels.caption import CAPTION  # noqa: E402
from modules.channels.screen import SCREEN  # noqa: E402
from modules.channels.faces import FACES  # noqa: E402

register(PICTURE)
register(DIALOGUE)
register(CAPTION)
register(SCREEN)
register(FACES)

__all__ = ["Channel", "ChannelMatch", "IngestJob", "Produced", "QueryContext", "Reader", "Row", "Scan", "register",
           "unregister", "registered", "get", "channel_of", "is_registered", "text_channels", "space", "model_key_of",
           "PICTURE", "DIALOGUE", "CAPTION", "SCREEN", "FACES"]
