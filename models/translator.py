"""Query translation to English, for English-only visual models.

deep-translator calls a web service; it is wrapped with a timeout so that a
missing network costs at most ``timeout_s`` and never raises past
:class:`TranslationUnavailable`.
"""

from __future__ import annotations

import concurrent.futures
import functools
import re
from typing import Protocol

_HANGUL = re.compile(r"[\u3131-\u318e\uac00-\ud7a3]")
_NON_ASCII_LETTER = re.compile(r"[^\x00-\x7f]")


class TranslationUnavailable(RuntimeError):
    pass


class Translator(Protocol):
    def to_english(self, text: str) -> str: ...


def needs_translation(text: str) -> bool:
    return bool(_HANGUL.search(text) or _NON_ASCII_LETTER.search(text))


class GoogleTranslator:
    """deep-translator's Google backend, source language detected."""

    def __init__(self, timeout_s: float = 4.0):
        self._timeout = timeout_s
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="translate")

    @functools.lru_cache(maxsize=512)
    def to_english(self, text: str) -> str:
        def call() -> str:
            from deep_translator import GoogleTranslator as GT

            return GT(source="auto", target="en").translate(text)

        try:
            out = self._pool.submit(call).result(timeout=self._timeout)
        except concurrent.futures.TimeoutError as exc:
            raise TranslationUnavailable(f"translation timed out after {self._timeout:.0f} s") from exc
        except Exception as exc:  # noqa: BLE001 - requests / service errors of every kind
            raise TranslationUnavailable(f"translation failed: {type(exc).__name__}: {str(exc)[:120]}") from exc
        if not out:
            raise TranslationUnavailable("translation service returned nothing")
        return out
