"""Text as matching sees it: normalised for literal matches, and the language of a query or a line."""

from __future__ import annotations

import re
import unicodedata


def normalize_for_match(text: str) -> str:
    """What literal matching compares: NFKC, case-folded, with spaces and punctuation removed:
    "Gryffindor!" == "gryffindor", "그리핀 도르" == "그리핀도르"."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in ("L", "N"))


def query_language(text: str) -> str:
    """"ko" when the text has Hangul, else "en" (the pairs confidence is calibrated on)."""
    return "ko" if re.search(r"[\uac00-\ud7a3]", text) else "en"
