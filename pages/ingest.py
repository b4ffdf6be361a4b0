"""Ingest: add videos by upload or from a folder on the server; the library, with remove
and re-ingest."""

import time
from datetime import datetime
from pathlib import Path

import streamlit as st

from modules.errors import USER_ERRORS
from modules.channels import text_channels
from modules.ingest import IngestProgress, ingest
from modules.media import VIDEO_SUFFIXES
from modules.uploads import UploadRejected, save_upload
from pages.common import (channel_label, engines, library_changed, library_rows, mmss, route_through_main, settings,
                          sidebar_models)
from pages.words import t

route_through_main()
st.title(t("ingest.title"))
sidebar_models()
cfg = settings()


def ray_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is not None


class PageProgress(IngestProgress):
    """Overall and per-file progress bars on the page."""

    def __init__(self):
        self.batch = st.progress(0.0, text=t("ingest.waiting"))
        self.video = st.progress(0.0, text=" ")
        self.nodes = st.empty()
        self.total, self.done, self.duration = 0, 0, 1.0

    def batch_started(self, total: int) -> None:
        self.total = total
        self.batch.progress(0.0, text=t("ingest.batch", done=0, total=total))

    def video_started(self, path: Path, duration_s: float) -> None:
        self.duration = max(duration_s, 0.1)
        self.video.progress(0.0, text=t("ingest.decoding", name=path.name))

    def video_advanced(self, path: Path, t_s: float) -> None:
        self.video.progress(min(1.0, t_s / self.duration),
                            text=t("ingest.at", name=path.name, at=mmss(t_s), length=mmss(self.duration)))

    def cluster_started(self, info: dict) -> None:
        where = f"{info['gpus']} GPU(s)" if info["gpus"] else f"{info['cpus']} CPU(s)"
        self.nodes.caption(f"Ray: {info['workers']} worker(s) on {where}")

    def nodes_advanced(self, stats: dict) -> None:
        self.nodes.caption(node_line(stats))


def node_line(stats: dict) -> str:
    """Ray: each node's videos and throughput, in one line."""
    return "Ray: " + " · ".join(
        f"{s.host}: {s.videos} video(s), {s.x_realtime:.1f}x real time per worker" for s in stats.values())

    def video_done(self, path: Path, status: str, detail: str = "") -> None:
        self.done += 1
        self.batch.progress(self.done / max(1, self.total),
                            text=t("ingest.batch_done", done=self.done, total=self.total, name=path.name, status=status))
        self.video.progress(1.0, text=f"{path.name}: {status}")


def remove_video(video_id: int) -> bool:
    """Take a video out; an ingest running in another tab (the library is locked) is said, not raised."""
    from modules.store import Library

    try:
        with Library.open(cfg.db_dir, writable=True) as lib:
            lib.remove_video(video_id)
    except USER_ERRORS as exc:
        st.error(str(exc))
        return False
    finally:
        library_changed()
    return True


def run_ingest(paths: list[Path], captions: bool = False, on_ray: bool = False) -> None:
    progress = PageProgress()
    try:
        if on_ray:  # the workers load their own models; this server loads only what the stamps need
            summary = ingest(paths, cfg.with_overrides(ray_address=cfg.ray_address or "local"), progress=progress,
                             captions=captions)
        else:
            summary = ingest(paths, cfg, engines=engines(), progress=progress, captions=captions)
    except USER_ERRORS as exc:
        st.error(str(exc))
        return
    finally:
        library_changed()
    st.session_state["ingest.summary"] = [
        {"video": o.path.name, "result": o.status, "detail": o.detail} for o in summary.outcomes
    ] + [{"video": "", "result": "note", "detail": w} for w in summary.warnings]
    st.session_state["ingest.nodes"] = node_line(summary.nodes) if summary.nodes else ""
    st.rerun()


tab_upload, tab_folder = st.tabs([t("ingest.tab_upload"), t("ingest.tab_folder")])
with tab_upload:
    files = st.file_uploader(
        t("ingest.files", mb=cfg.max_upload_mb), type=sorted(s.lstrip(".") for s in VIDEO_SUFFIXES),
        accept_multiple_files=True, key="ingest.uploads", max_upload_size=cfg.max_upload_mb,
    )
    if st.button(t("ingest.go_upload"), key="ingest.upload_go", disabled=not files):
        saved, rejected = [], []
        for f in files:
            try:  # to disk in 8 MB chunks, under a safe name, then the upload buffer is let go
                saved.append(save_upload(f, f.name, cfg.upload_dir, cfg.max_upload_mb << 20))
            except UploadRejected as exc:  # one bad file is said; the others are still ingested
                rejected.append(str(exc))
        for r in rejected:
            st.error(r)
        if saved:
            run_ingest(saved)
with tab_folder:
    folder = st.text_input(t("ingest.folder"), key="ingest.folder",
                           placeholder="~/clips")
    captions = st.checkbox(t("ingest.captions"), key="ingest.captions")
    on_ray = st.checkbox(t("ingest.ray"),
                         key="ingest.ray", value=bool(cfg.ray_address), disabled=not ray_installed())
    if st.button(t("ingest.go_folder"), key="ingest.folder_go", disabled=not folder):
        p = Path(folder).expanduser()
        if not cfg.allowed_folder(p):
            roots = ", ".join(str(r) for r in cfg.media_root_paths)
            st.error(t("ingest.outside", path=p, roots=roots))
        elif not p.is_dir():
            st.error(t("ingest.not_folder", path=p))
        else:
            run_ingest([p], captions=captions, on_ray=on_ray)

summary = st.session_state.get("ingest.summary")
if summary:
    counts = {k: sum(1 for r in summary if r["result"] == k) for k in ("ingested", "skipped", "failed")}
    st.success(t("ingest.counts", **counts))
    st.dataframe(summary, hide_index=True, key="ingest.summary_table")
    if st.session_state.get("ingest.nodes"):
        st.caption(st.session_state["ingest.nodes"])

st.header(t("ingest.library"))
rows = library_rows()
if not rows:
    st.info(t("ingest.no_videos"))
else:
    st.dataframe(
        [{t("ingest.col.video"): r["name"], t("ingest.col.length"): mmss(r["duration_s"] or 0),
          t("ingest.col.shots"): r["n_shots"],
          **{channel_label(ch.name): r[f"n_{ch.name}"] for ch in text_channels()},
          t("ingest.col.added"): datetime.fromtimestamp(r["added_at"]).strftime("%Y-%m-%d %H:%M")}
         for r in rows],
        hide_index=True, key="ingest.library_table",
    )
    names = {f"{r['name']} (#{r['id']})": r for r in rows}
    choice = st.selectbox(t("search.video"), list(names), key="ingest.pick")
    c1, c2 = st.columns(2)
    if c1.button(t("ingest.remove"), key="ingest.remove", icon=":material/delete:"):
        st.session_state["ingest.removing"] = names[choice]["id"]
    if st.session_state.get("ingest.removing") == names[choice]["id"]:  # asked first: nothing is undone
        st.warning(t("ingest.remove_ask", name=names[choice]["name"]))
        y, n, _ = st.columns([1, 1, 4])
        if y.button(t("ingest.remove_yes"), key="ingest.remove_yes", type="primary"):
            del st.session_state["ingest.removing"]
            if remove_video(names[choice]["id"]):
                st.toast(t("ingest.removed", name=names[choice]["name"]))
                time.sleep(0.2)
                st.rerun()
        if n.button(t("ingest.remove_no"), key="ingest.remove_no"):
            del st.session_state["ingest.removing"]
            st.rerun()
    if c2.button(t("ingest.reingest"), key="ingest.reingest", icon=":material/refresh:"):
        path = Path(names[choice]["path"])
        if not path.exists():
            st.error(t("ingest.gone", path=path))
        elif remove_video(names[choice]["id"]):
            run_ingest([path])
