"""Search: describe a scene, see the five best moments, play one, cut it, see it in context,
find more like it, export them all for an editor."""

import html
import re
from pathlib import Path

import streamlit as st

from modules.errors import USER_ERRORS
from modules.screen_text import shown_on_screen
from pages.common import (clip_for, cut_moment, export_texts, library_rows, mmss, route_through_main, searcher,
                          sidebar_models)
from pages.words import t

route_through_main()
st.title(t("search.title"))

# the query box first: it takes a query while the models load on a first visit
videos = [t("search.all")] + sorted({r["name"] for r in library_rows()})
left, right = st.columns([4, 1])
query = left.text_input(t("search.box"), key="search.query",
                        placeholder='비 오는 밤에 뛰어가는 남자  ·  a hat shouting "Gryffindor!"')
video = right.selectbox(t("search.video"), videos, key="search.video")
if st.session_state.get("search.asked") != query:  # a new query: the panels of the last one close
    for panel in ("search.context", "search.playing", "search.similar"):
        st.session_state.pop(panel, None)
    st.session_state["search.asked"] = query
st.caption(t("search.quotes"))
photo = st.file_uploader(t("search.photo"), type=["jpg", "jpeg", "png"],
                         key="search.face")
face = None
if photo is not None:
    from modules.pictures import decode_picture

    try:
        face = decode_picture(photo.getvalue(), photo.name)
    except USER_ERRORS as exc:
        st.error(str(exc))

try:
    s = searcher()
except USER_ERRORS as exc:
    st.error(str(exc))
    st.stop()
if s is None:
    st.info(t("search.empty"))
    st.stop()
sidebar_models()


SURE_COLOUR = {"high": "green", "medium": "blue", "low": "gray", "unknown": "gray"}


def sure(hit) -> str:
    """How sure the hit is, as a coloured word a person reads ("low confidence" hits are still shown)."""
    pct = "" if hit.confidence is None else f" {hit.confidence:.0%}"
    return f":{SURE_COLOUR[hit.confidence_label]}[{t('sure', label=t('sure.' + hit.confidence_label))}{pct}]"


def evidence_line(hit, query: str) -> str:
    """One line: the channel in words and what it matched, the query's words in bold."""
    parts = hit.evidence.split("; ") if hit.evidence else [""]
    source = next((p for p in parts if '"' in p), parts[0])  # the channel whose words the hit shows
    channel = next((c for c in ("on screen", "dialogue", "caption", "face", "picture") if source.startswith(c)),
                   source.split(" ", 1)[0])
    text = hit.text.replace("[", "(").replace("]", ")")
    for word in sorted({w.strip('"“”「」.,!?') for w in query.split()}, key=len, reverse=True):
        if len(word) >= 2:
            pattern = rf"\b({re.escape(word)})\b" if word.isascii() else f"({re.escape(word)})"
            text = re.sub(pattern, r"**\1**", text, flags=re.IGNORECASE)
    text = text.replace("** **", " ")  # the words of a phrase, bold as one
    said = {"dialogue": "said", "on screen": "on screen", "caption": "caption", "face": "face", "picture": "picture"}
    word = t("ev." + said[channel]) if channel in said else channel
    return f"{word}: “{text}”" if text else word


def show_hits(hits, prefix: str, query: str = "") -> None:
    """One card a hit: thumbnail, video and time, how sure, one line of evidence; the scores behind a toggle."""
    picture_off = s.channels.get("visual", "off") != "on"
    cols = st.columns(5) if hits else []  # a fixed grid: one hit does not fill the page
    for col, hit in zip(cols, hits):
        key = f"{prefix}.{hit.shot_id}"
        with col:
            if hit.thumbnail and Path(hit.thumbnail).exists():
                st.image(hit.thumbnail, width="stretch")
            st.markdown(f"**{html.escape(Path(hit.video).name)}**  \n`{mmss(hit.frame_s)}` · {sure(hit)}")
            st.markdown(evidence_line(hit, query))
            with st.expander(t("why")):
                st.caption(hit.evidence)
                st.caption(" · ".join(f"{k} {v:.2f}" for k, v in hit.scores.items() if v is not None))
            if st.button(t("play", at=mmss(hit.frame_s)), key=f"{key}.play", icon=":material/play_arrow:",
                         width="stretch"):
                st.session_state["search.playing"] = (hit.video, hit.frame_s)
                st.rerun()
            if st.button(t("like"), key=f"{key}.similar", icon=":material/image_search:", width="stretch",
                         disabled=picture_off, help=t("like.off") if picture_off else t("like.help")):
                st.session_state["search.similar"] = (hit.video, hit.frame_s)
                st.rerun()
            if st.button(t("context"), key=f"{key}.context", icon=":material/view_timeline:", width="stretch"):
                st.session_state["search.context"] = (hit.video_id, hit.shot_id)
            made = st.session_state.get(f"{key}.cut")
            if made is None:
                if st.button(t("cut"), key=f"{key}.cut_go", icon=":material/content_cut:", width="stretch",
                             help=t("cut.help")):
                    with st.spinner("Cutting…"):
                        try:
                            st.session_state[f"{key}.cut"] = cut_moment(s, hit)
                        except (*USER_ERRORS, OSError) as exc:
                            st.error(f"Cannot cut this clip: {exc}")
                    st.rerun()
            else:
                st.download_button(t("download"), Path(made.path).read_bytes(), file_name=Path(made.path).name,
                                   mime="video/mp4", key=f"{key}.download", icon=":material/download:")
                st.caption(f"{made.moment.duration_s:.1f} s clip: {made.method} in {made.seconds:.1f} s")


def show_context(video_id: int, shot_id: int) -> None:
    """The hit's video around it: neighbouring shots with their thumbnails, dialogue and text on screen."""
    shots = s.lib.timeline(video_id)
    at = next((i for i, sh in enumerate(shots) if sh["shot_id"] == shot_id), 0)
    near = shots[max(0, at - 3): at + 4]
    video = s.lib.video(video_id)
    st.subheader(f"In context: {video['name']}")
    for col, sh in zip(st.columns(len(near)), near):
        with col:
            thumb = s.lib.thumb_path(sh["thumb"]) if sh["thumb"] else None
            if thumb is not None and thumb.exists():
                st.image(str(thumb), width="stretch")
            mark = " ◀ hit" if sh["shot_id"] == shot_id else ""
            st.markdown(f"`{mmss(sh['start_s'])}–{mmss(sh['end_s'])}`{mark}")
            for d in sh["dialogue"]:
                st.caption(f":material/chat: {d['text']}")
            for shown in filter(None, (shown_on_screen(line["text"]) for line in sh["screen_text"])):
                st.caption(f":material/subtitles: {shown}")
            if st.button(mmss(sh["start_s"]), key=f"search.context_play.{sh['shot_id']}", icon=":material/play_arrow:"):
                st.session_state["search.playing"] = (video["path"], sh["start_s"])
                st.rerun()


def show_player() -> None:
    """The moment playing, above the hits (not below the page's end, where its sound started unseen)."""
    playing = st.session_state.get("search.playing")
    if not playing:
        return
    path, at = playing
    head, close = st.columns([5, 1])
    head.subheader(f"{Path(path).name} from {mmss(at)}")
    if close.button(t("close"), key="search.player_close", icon=":material/close:"):
        del st.session_state["search.playing"]
        st.rerun()
    try:
        with st.spinner("Preparing the clip…"):  # a source no browser plays is re-encoded (a few seconds)
            clip, lead = clip_for(path, at, at + 30.0)
        st.video(clip, start_time=int(lead), autoplay=True)
    except Exception as exc:  # noqa: BLE001 - a moved or unreadable file
        st.error(f"Cannot play {Path(path).name}: {exc}")


show_player()

similar = st.session_state.get("search.similar")
if similar:
    like_video, like_at = similar
    try:
        result = s.similar(like_video, like_at)
    except USER_ERRORS as exc:
        result = None
        st.error(str(exc))
    if st.button(t("back"), key="search.similar_back", icon=":material/arrow_back:"):
        del st.session_state["search.similar"]
        st.rerun()
    if result is not None:
        st.subheader(f"More like {Path(like_video).name} at {mmss(like_at)}")
        for w in result.warnings:
            st.caption(f"⚠ {w}")
        show_hits(result.hits, "search.like")
elif query or face is not None:
    try:
        result = s.search(query, video=None if video == t("search.all") else video, face=face)
    except USER_ERRORS as exc:
        st.error(str(exc))
        st.stop()
    for w in result.warnings:
        st.caption(f"⚠ {w}")
    if result.no_confident_match:
        st.warning(t("no_confident"))
    # cards in the order of how sure each is (the number a person reads), the ranking breaking ties; hits whose
    # confidence is unknown (an uncalibrated picture model) after those it is known of
    show_hits(sorted(result.hits, key=lambda h: (h.confidence is None, -(h.confidence or 0.0))), "search.hit", query)
    if result.hits:
        edl, csv, srt = export_texts(s, result)
        st.caption(t("export"))
        e1, e2, e3, _ = st.columns([1, 1, 1, 3])
        e1.download_button("EDL", edl, file_name="hits.edl", mime="text/plain", key="search.export_edl")
        e2.download_button("CSV", csv, file_name="hits.csv", mime="text/csv", key="search.export_csv")
        e3.download_button("SRT", srt, file_name="hits.srt", mime="text/plain", key="search.export_srt")

context = st.session_state.get("search.context")
if context:
    show_context(*context)
