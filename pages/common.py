"""What the pages share: settings, models and the searcher loaded once per server, the
sidebar that says which models are active, and small formatting helpers."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import streamlit as st

from modules.errors import USER_ERRORS
from modules.schema import mmss  # noqa: F401 - shared by the pages
from modules.settings import Settings
from pages.words import WORDS, language_switch, t


def route_through_main() -> None:
    """Make a first visit straight to /ingest (say) run main.py's navigation too.

    Until main.py has run once in a server, Streamlit treats a ``pages/`` folder as the
    legacy page list and runs the page file alone (its own sidebar, every file listed).
    Clearing that flag and rerunning hands the request to ``st.navigation``. Every page calls it first, so
    it also keeps the Search page's query while another page is open (Streamlit forgets a widget's value
    when the widget is not drawn).
    """
    if "search.query" in st.session_state:
        st.session_state["search.query"] = st.session_state["search.query"]
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without this class has no legacy mode to leave
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource
def settings() -> Settings:
    return Settings.from_env()


@st.cache_resource(show_spinner="Loading the models (once per server)…")
def engines():
    from modules.engines import load_engines

    return load_engines(settings())


@st.cache_resource(show_spinner="Opening the library…")
def searcher():
    """None when there is no library yet. Cleared by the Ingest page after it changes the library."""
    from modules.store import Library
    from modules.search import Searcher

    db = settings().db_dir
    if not (db / "catalog.sqlite").exists():
        return None
    with Library.open(db) as lib:
        if lib.count("videos") == 0:
            return None
    return Searcher(settings(), engines())


def library_changed() -> None:
    searcher.clear()
    library_rows.clear()


@st.cache_data(ttl=30)
def library_rows() -> list[dict]:
    from modules.store import Library

    db = settings().db_dir
    if not (db / "catalog.sqlite").exists():
        return []
    with Library.open(db) as lib:
        return [dict(r) for r in lib.videos()]


def sidebar_models() -> None:
    language_switch()
    with st.sidebar:
        try:
            info = engines().describe()
        except USER_ERRORS as exc:
            st.error(str(exc))
            return
        try:
            s = searcher()
        except USER_ERRORS:
            s = None  # the page says why
        if s is not None:
            st.markdown(f"**{t('searching')}:** " + (", ".join(channel_label(ch) for ch, st_ in s.channels.items()
                                                                if st_ == "on") or t("nothing")))
            for ch, state in s.channels.items():
                if state != "on":
                    st.caption(f"{channel_label(ch)}: {_plain(state)}")
        with st.expander(t("models")):
            for key, value in info.items():
                st.caption(f"**{key}**: {value}")


def channel_label(channel: str) -> str:
    """A channel's name as the page's language says it."""
    from modules.channels import get

    if f"ch.{channel}" in WORDS:
        return t(f"ch.{channel}")
    try:
        return get(channel).label
    except ValueError:
        return channel


def _plain(state: str) -> str:
    """Why a channel is off, in a few plain words (the details are under Models)."""
    why = state.removeprefix("off (").removesuffix(")")
    if "weights" in why or "install" in why or "not available" in why:
        return t("off.not_installed")
    if "nothing in this library" in why or "no vectors" in why or "no faces" in why:
        return t("off.empty")
    if "switched off" in why:
        return t("off.switched")
    return why


def clip_for(video: str, start_s: float, end_s: float) -> tuple[str, float]:
    """A short stream-copied clip of the span (the player never gets the whole file); returns
    (clip path, where start_s falls in it)."""
    from modules.clips import export_clip

    key = hashlib.sha1(f"{video}|{start_s:.2f}|{end_s:.2f}".encode()).hexdigest()[:16]
    out = settings().db_dir / ".clips" / f"{key}.mp4"
    lead_file = out.with_suffix(".lead")
    try:
        return str(out), float(lead_file.read_text())
    except (OSError, ValueError):
        pass  # not made yet (or half made by a request beside this one): make it
    lead, _ = export_clip(Path(video), start_s, end_s, out, for_browser=True)  # an AVI's MPEG-4 is re-encoded
    tmp = lead_file.with_name(f".{lead_file.name}.{os.getpid()}.{threading.get_ident()}")
    tmp.write_text(str(lead))
    os.replace(tmp, lead_file)  # the lead is written last: its presence means the clip is whole
    _prune(out.parent, keep=KEEP_CLIPS)
    return str(out), lead


def cut_moment(searcher, hit):
    """The hit with a margin as an MP4 under db/.exports (an export.Clip: path, method, seconds)."""
    from modules.export import cut, moments

    m = moments([hit], searcher.lib)[0]
    out = settings().db_dir / ".exports" / f"{Path(hit.video).stem}_{m.start_s:.2f}-{m.end_s:.2f}.mp4"
    return cut(m, out)


def export_texts(searcher, result) -> tuple[str, str, str]:
    """(EDL, CSV, SRT) of a search result's hits."""
    from modules.export import csv_text, edl, hits_srt, moments

    items = moments(result.hits, searcher.lib)
    return edl(items, f"Scene Finder {result.query}"), csv_text(items, with_paths=False), hits_srt(items)


KEEP_CLIPS = 50  # played clips kept on disk; older ones are made again when played again


def _prune(folder: Path, keep: int) -> None:
    def age(p: Path) -> float:
        try:
            return p.stat().st_mtime
        except OSError:  # removed by a request beside this one
            return 0.0

    clips = sorted((p for p in folder.glob("*.mp4") if not p.name.startswith(".")), key=age, reverse=True)
    for old in clips[keep:]:
        old.with_suffix(".lead").unlink(missing_ok=True)
        old.unlink(missing_ok=True)
