"""Search: describe a scene, see the five best moments, play one."""

import html
from pathlib import Path

import streamlit as st

from modules.errors import USER_ERRORS
from pages.common import clip_for, library_rows, mmss, route_through_main, searcher, sidebar_models

route_through_main()
st.title("Find a scene")
sidebar_models()

try:
    s = searcher()
except USER_ERRORS as exc:
    st.error(str(exc))
    st.stop()
if s is None:
    st.info("The library is empty. Add videos on the **Ingest** page, or run `python main.py ingest PATH`.")
    st.stop()

videos = ["All videos"] + sorted({r["name"] for r in library_rows()})
left, right = st.columns([4, 1])
query = left.text_input("Describe the scene, in Korean or English", key="search.query",
                        placeholder='비 오는 밤에 뛰어가는 남자  ·  a hat shouting "Gryffindor!"')
video = right.selectbox("Video", videos, key="search.video")
st.caption('Put remembered dialogue in quotes: "…" or 「…」. The rest describes the picture.')

if query:
    try:
        result = s.search(query, video=None if video == "All videos" else video)
    except USER_ERRORS as exc:
        st.error(str(exc))
        st.stop()
    for w in result.warnings:
        st.caption(f"⚠ {w}")
    if result.no_confident_match:
        st.warning("No confident match in the library.")
        if result.closest is not None:
            c = result.closest
            st.caption(f"Closest, not confident: {Path(c.video).name} at {mmss(c.frame_s)} ({c.evidence})")
    cols = st.columns(5) if result.hits else []  # a fixed grid: one hit does not fill the page
    for i, (col, hit) in enumerate(zip(cols, result.hits)):
        with col:
            if hit.thumbnail and Path(hit.thumbnail).exists():
                st.image(hit.thumbnail, width="stretch")
            st.markdown(f"**{html.escape(Path(hit.video).name)}**  \n`{mmss(hit.frame_s)}` · score {hit.score:.3f}")
            chans = " · ".join(f"{k} {v:.2f}" for k, v in hit.scores.items() if v is not None)
            st.caption(chans)
            if hit.text:
                st.markdown(f":orange-background[{hit.text.replace('[', '(').replace(']', ')')}]")
            st.caption(hit.evidence)
            if st.button(f"▶ Play from {mmss(hit.frame_s)}", key=f"search.play.{i}"):
                st.session_state["search.playing"] = (hit.video, hit.frame_s)

    playing = st.session_state.get("search.playing")
    if playing:
        path, at = playing
        st.subheader(f"{Path(path).name} from {mmss(at)}")
        try:
            clip, lead = clip_for(path, at, at + 30.0)
            st.video(clip, start_time=int(lead), autoplay=True)
        except Exception as exc:  # noqa: BLE001 - a moved or unreadable file
            st.error(f"Cannot play {path}: {exc}")
