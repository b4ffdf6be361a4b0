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
        """What the text channels embed: the quotes, or else what the query says was said or shown
        (the whole query less a frame such as "the scene where" or "…라는 장면")."""
        return " ".join(self.quotes) if self.quotes else (said_part(self.text) or self.text)

    @property
    def picture_text(self) -> str:
        return self.picture if self.quotes else self.text


# How people frame a remembered line or moment around its content: "the scene where …", "… 하는 장면",
# "… 라는 말". The frame names the kind of thing wanted, not what was said, and only blurs the
# content's vector; it is dropped for the text channels (the picture channel keeps the whole query).
_KO_FRAME_NOUNS = ("장면", "부분", "대목", "대사", "말", "얘기", "이야기", "구절", "줄", "안내", "안내 방송",
                   "방송", "멘트", "내용", "설명", "요청", "부탁", "농담", "질문", "물음", "순간")
# the verb that ties the content to the frame: "…라고 말하는 장면", "작별 인사하는 장면", "… 나오는 장면"
# ("남자가 말하는 장면" keeps its 말하는: there the speaking is what is asked for)
_KO_FRAME_VERB = r"(?:(?<=[라다냐자]고)\s+(?:말하는|말한|하는|한)|(?<!말)하는|\s+(?:나오는|나온|들리는))?"
_KO_FRAME_RE = re.compile(
    _KO_FRAME_VERB + r"\s+(?:(?:마지막|첫)\s+)?(?:" + "|".join(sorted(_KO_FRAME_NOUNS, key=len, reverse=True))
    + r")(?:이야|이다|임|요|\s*(?:좀|을|를)?\s*(?:찾아\s*줘|보여\s*줘|찾기))?[\s.?!]*$")
# the quotative ending left on the last word: 입력하라는 -> 입력하라, 됐다고 하는 -> 됐다
_KO_QUOTATIVE_RE = re.compile(r"(?<=[라다냐자까])(?:는|고(?:\s*하는|\s*한)?)$")
_EN_FRAME_RE = re.compile(
    r"^(?:(?:find|show(?: me)?|play)\s+)?(?:the|a)\s+(?:scene|part|bit|moment|line|shot|clip)s?\s+"
    r"(?:where|when|in which|with|that says|saying|about)\s+", re.IGNORECASE)


def said_part(text: str) -> str:
    """``text`` without a framing "the scene where …" / "… 라는 장면"; "" when nothing would be left."""
    out = _EN_FRAME_RE.sub("", text, count=1)
    stripped = _KO_FRAME_RE.sub("", out, count=1)
    if stripped != out:
        out = _KO_QUOTATIVE_RE.sub("", stripped.rstrip())
    out = out.strip(" ,.")
    return out if any(unicodedata.category(ch)[0] in ("L", "N") for ch in out) else ""


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

