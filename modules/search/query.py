"""Understanding a query without an LLM.

Quoted text ("…", “…”, '…', ‘…’, 「…」, 『…』) is dialogue the user remembers;
the rest describes the picture. A query with no quotes is tried against both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from modules.errors import BadQuery

MAX_QUERY_CHARS = 1000

# paired quotes; straight single quotes only when they open after a space/start and close
# before a space/punctuation/end, so "don't" and "it's" are not quotes
_QUOTE_PATTERNS = [
    r'"([^"]+)"',
    r"“([^”]+)”",
    r"‘([^’]+)’",
    r"「([^」]+)」",
    r"『([^』]+)』",
    r"(?:(?<=\s)|^)'([^']+)'(?=[\s.,!?;:)]|$)",
]
_QUOTE_RE = re.compile("|".join(_QUOTE_PATTERNS))


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # the whole query, normalised
    quotes: tuple[str, ...]  # remembered dialogue
    picture: str  # what is left for the picture (and captions)

    @property
    def dialogue_text(self) -> str:
        """What the dialogue channel embeds: the quotes, or the whole query when there are none."""
        return " ".join(self.quotes) if self.quotes else self.text

    @property
    def picture_text(self) -> str:
        return self.picture if self.quotes else self.text


def parse_query(raw: str) -> ParsedQuery:
    """Normalise (NFC, whitespace collapsed) and split into quotes and picture text.

    Raises BadQuery for an empty, symbols-only or over-long query.
    """
    if raw is None:
        raise BadQuery("empty query: describe the scene, e.g. 'a girl in a red coat on a bridge'")
    text = unicodedata.normalize("NFC", raw)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in "\t\n")
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise BadQuery("empty query: describe the scene, e.g. 'a girl in a red coat on a bridge'")
    if len(text) > MAX_QUERY_CHARS:
        raise BadQuery(
            f"query too long ({len(text)} characters; at most {MAX_QUERY_CHARS}): describe the scene in a sentence or two"
        )
    if not any(unicodedata.category(ch)[0] in ("L", "N") for ch in text):
        raise BadQuery("the query has no words, only symbols or emoji: describe the scene in words")
    quotes = []
    for m in _QUOTE_RE.finditer(text):
        q = next(g for g in m.groups() if g is not None).strip()
        if any(unicodedata.category(ch)[0] in ("L", "N") for ch in q):
            quotes.append(q)
    picture = _QUOTE_RE.sub(" ", text)
    picture = re.sub(r"\s+", " ", picture).strip(" ,.:;-")
    if not any(unicodedata.category(ch)[0] in ("L", "N") for ch in picture):
        picture = ""
    return ParsedQuery(text, tuple(quotes), picture)

