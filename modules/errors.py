"""Typed errors. Each message says what went wrong and the next step."""

from __future__ import annotations

from models.weights import WeightsUnavailable


class SceneFinderError(Exception):
    """Base class: the CLI prints the message and exits non-zero; pages show st.error."""


class VideoOpenFailure(SceneFinderError):
    """A file that is not a playable video (missing, empty, corrupt, audio only)."""


class LibraryMissing(SceneFinderError):
    pass


class LibraryDamaged(SceneFinderError):
    """A catalogue file SQLite cannot read; the message says how to rebuild."""


class LibraryReadOnly(SceneFinderError):
    """A write was asked of a library that can only be read."""


class LibraryMismatch(SceneFinderError):
    """The library was built by other models than the ones configured now."""


class BadQuery(SceneFinderError):
    pass


class BadSpan(SceneFinderError):
    pass


class AdapterError(SceneFinderError):
    """A LoRA adapter that is missing, corrupt or made for another base model."""


# What a user can act on: shown as a message (CLI "error: …", st.error in the app), never a traceback.
USER_ERRORS = (SceneFinderError, WeightsUnavailable)
