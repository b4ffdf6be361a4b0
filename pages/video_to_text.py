"""Video to Text: trim a span of a library video or an upload, get its caption and dialogue."""

import json
from pathlib import Path

import streamlit as st

from modules.captioning import caption_span
from modules.errors import USER_ERRORS
from modules.media import probe
from modules.uploads import UploadRejected, save_upload
from pages.common import clip_for, engines, library_rows, mmss, route_through_main, settings, sidebar_models
from pages.words import t

route_through_main()
st.title(t("v2t.title"))
sidebar_models()
cfg = settings()

sources = {"library": t("v2t.from_library"), "upload": t("v2t.upload")}
source = st.radio(t("search.video"), list(sources), format_func=sources.get, horizontal=True, key="v2t.source")
video: Path | None = None
if source == "library":
    rows = library_rows()
    if not rows:
        st.info(t("v2t.empty"))
    else:
        by_name = {r["name"]: r["path"] for r in rows}
        video = Path(by_name[st.selectbox(t("v2t.library_video"), sorted(by_name), key="v2t.pick")])
else:
    up = st.file_uploader(t("v2t.clip"), type=["mp4", "mkv", "mov", "webm", "avi", "m4v"], key="v2t.upload",
                          max_upload_size=cfg.max_upload_mb)
    if up is not None:
        if st.session_state.get("v2t.saved_name") != up.name:
            try:
                st.session_state["v2t.saved"] = str(save_upload(up, up.name, cfg.upload_dir, cfg.max_upload_mb << 20))
                st.session_state["v2t.saved_name"] = up.name
            except UploadRejected as exc:
                st.error(str(exc))
        if st.session_state.get("v2t.saved"):
            video = Path(st.session_state["v2t.saved"])

if video is not None:
    try:
        info = probe(video)
    except USER_ERRORS as exc:
        st.error(str(exc))
        st.stop()
    dur = max(0.5, round(info.duration_s, 1))
    start, end = st.slider(t("v2t.span"), 0.0, dur, (0.0, min(dur, 10.0)), step=0.5, key="v2t.span")
    st.caption(t("v2t.span_of", start=mmss(start), end=mmss(end), seconds=end - start, length=mmss(dur)))
    if end > start:
        try:
            clip, lead = clip_for(str(video), start, end)
            st.video(clip, start_time=int(lead))
        except (*USER_ERRORS, OSError) as exc:
            st.error(t("v2t.no_preview", error=exc))
    langs = st.multiselect(t("v2t.langs"), ["ko", "en"], default=["ko", "en"], key="v2t.langs")
    base_only = st.checkbox(t("v2t.base_only"), key="v2t.base_only")
    if st.button(t("v2t.go"), key="v2t.go", type="primary", disabled=not langs):
        with st.status(t("v2t.working"), expanded=True) as status:
            try:
                result = caption_span(video, start, end, cfg, tuple(langs), use_adapter=not base_only,
                                      transcriber=engines().transcriber, partial=True,
                                      progress=lambda msg: status.update(label=msg.capitalize() + "…"))
                st.session_state["v2t.result"] = result
                if result.problem:
                    status.update(label=t("v2t.dialogue_only"), state="error", expanded=False)
                else:
                    status.update(label=t("v2t.done"), state="complete")
            except USER_ERRORS as exc:
                status.update(label=t("v2t.failed"), state="error")
                st.error(str(exc))

result = st.session_state.get("v2t.result")
if result is not None:
    st.subheader(f"{Path(result.video).name}, {mmss(result.start_s)} – {mmss(result.end_s)}")
    if result.problem:
        st.error(t("v2t.problem", problem=result.problem))
    for lang, text in result.captions.items():
        st.markdown(f"**{lang}**: {text or '(empty)'}")
    st.caption(f"model: {result.model} · " + ", ".join(f"{k} {v:.1f}s" for k, v in result.timings_s.items()))
    if result.dialogue:
        st.dataframe([{t("v2t.at"): mmss(d["start_s"]), t("v2t.line"): d["text"]} for d in result.dialogue],
                     hide_index=True)
    else:
        st.caption(t("v2t.no_dialogue"))
    stem = f"{Path(result.video).stem}_{result.start_s:g}-{result.end_s:g}"
    c1, c2 = st.columns(2)
    c1.download_button(t("v2t.json"), json.dumps(result.to_json(), ensure_ascii=False, indent=2),
                       file_name=f"{stem}.json", mime="application/json", key="v2t.dl_json")
    c2.download_button(t("v2t.srt"), result.to_srt(), file_name=f"{stem}.srt", mime="text/plain",
                       key="v2t.dl_srt")
