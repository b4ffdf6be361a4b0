"""The library on disk: a SQLite catalogue (the truth), FAISS index caches and thumbnails, behind one
door, :class:`Library`."""

from modules.store.library import Library

__all__ = ["Library"]
