"""Search, in parts: ``query.py`` (what the query says: quotes, the picture's part), ``request.py``
(checks and filters), each channel's retrieval (``modules/channels``), ``fusion.py`` (pure: channels to
one order, moments), ``hits.py`` (evidence and confidence), ``similar.py`` (more like this) and
``searcher.py`` (the :class:`Searcher` that runs them)."""

from modules.search.result import CANDIDATES, SearchResult
from modules.search.searcher import Searcher
from modules.search.similar import picture_channel_off
from modules.search.request import check_top_k, validate_request

__all__ = ["Searcher", "SearchResult", "CANDIDATES", "picture_channel_off", "check_top_k", "validate_request"]
