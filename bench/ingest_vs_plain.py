"""Ingest against the simplest alternative, side by side on real footage with real speech (issue 8).

    python -m bench.ingest_vs_plain [--rounds 1]

Material (bench/real_speech.py): (a) 48 recorded lines over real footage cut like film, 6
minutes, speech over most of it, encoded H.264 720p and 1080p; (b) 20 short clips of the same
kind, 5-30 s (about 6 to 28 s of lines), 720p. Each is ingested, wall time from process start to exit, by:

- plain: bench/plain_pipeline.py (PySceneDetect detect() + AdaptiveDetector, ffmpeg audio,
  faster-whisper base int8 greedy with VAD, e5; no picture channel, no thumbnails, no OCR);
- Scene Finder with the picture channel on (the CPU preset's architecture, SigLIP 2
  ViT-B/32 at 256 px, random weights; bench/stand_ins.py) and off; text on screen on
  (the default) in both.

Runs alternate; with --rounds 2 the faster of each counts. Peak RSS and CPU seconds (user +
system, all threads: on 2 cores the budget that sets the wall time) are the child's. Quality
beside speed: the share of the plain pipeline's cuts Scene Finder finds within 0.25 s, and each
transcript's word error rate against what was said (the recordings' transcripts). A per-stage
breakdown comes from one in-process run of the long 720p video.
Writes bench/results/ingest_vs_plain.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, WORK, write_results
from bench.real_media import duration_s
from bench.real_speech import RATE, compose, speech, transcripts
from bench.real_speech_set import LINES
from bench.stand_ins import bench_visual_args, bench_visual_settings

PY = sys.executable
HERE = WORK / "vs_plain"


def material() -> dict[str, list[tuple[Path, list[dict]]]]:
    prompts = [p for p, *_ in LINES]
    long_lines = [(p, p) for p in prompts[:48]]
    out = {f"long_{h}p": [compose("film_long", long_lines, h, seed=100, gap_s=(0.4, 2.0))] for h in (720, 1080)}
    shorts, pool = [], iter(prompts[48:] + prompts[:48])
    for i in range(20):
        target, lines, total = (6, 10, 15, 20, 25, 28)[i % 6], [], 2.0  # seconds; 2 s lead-in
        while total < target:
            p = next(pool)
            length = len(speech(p)) / RATE + 0.8
            if total + length > 30 and lines:
                break
            if total + length <= 30:
                lines.append((p, p))
                total += length
        shorts.append(compose(f"clip{i:02d}", lines, 720, seed=200 + i, gap_s=(0.3, 1.2), lead_s=2.0))
    out["short_batch"] = shorts
    return out


def run(cmd: list[str]) -> tuple[float, float, float]:
    """(wall seconds from process start, peak RSS MiB, CPU seconds: user + system) of a child process."""
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M %U %S", *cmd], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr[-2000:]}")
    rss_kib, user, system = proc.stderr.strip().splitlines()[-1].split()
    return wall, int(rss_kib) / 1024, float(user) + float(system)


def scene_finder(files: list[Path], db: Path, picture: bool) -> list[str]:
    shutil.rmtree(db, ignore_errors=True)
    extra = bench_visual_args(WORK / "models") if picture else []
    return [PY, "main.py", "ingest", "--db", str(db), "--offline", *extra, *map(str, files)]


def words(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower().replace("-", " ")).split()


def wer(ref: list[str], hyp: list[str]) -> float:
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / max(1, len(ref))


def library_output(db: Path) -> dict[str, dict]:
    con = sqlite3.connect(db / "catalog.sqlite")
    out = {}
    for vid, name in con.execute("SELECT id, name FROM videos"):
        cuts = [r[0] for r in con.execute("SELECT start_s FROM shots WHERE video_id=? AND idx>0 ORDER BY idx", (vid,))]
        text = " ".join(r[0] for r in con.execute(
            "SELECT g.text FROM segments g JOIN shots s ON g.shot_id=s.id WHERE s.video_id=? ORDER BY g.start_s", (vid,)))
        out[Path(name).stem] = {"cuts": cuts, "text": text}
    con.close()
    return out


def plain_output(folder: Path) -> dict[str, dict]:
    out = {}
    for f in folder.glob("*.json"):
        d = json.loads(f.read_text())
        out[f.stem] = {"cuts": d["cuts_s"], "text": " ".join(s[2] for s in d["segments"])}
    return out


def quality(items: list[tuple[Path, list[dict]]], got: dict[str, dict], said: dict[str, str],
            plain: dict[str, dict]) -> dict:
    ref_words = hyp_errors = 0.0
    found = total = 0
    for path, spoken in items:
        ref = words(" ".join(said[s["key"]] for s in spoken))
        hyp = words(got[path.stem]["text"])
        hyp_errors += wer(ref, hyp) * len(ref)
        ref_words += len(ref)
        mine = got[path.stem]["cuts"]
        for c in plain[path.stem]["cuts"]:
            total += 1
            found += any(abs(c - m) <= 0.25 for m in mine)
    return {"wer": round(hyp_errors / max(1, ref_words), 3), "plain_cuts_found": f"{found}/{total}"}


def stages(video: Path, picture: bool) -> dict:
    from modules.engines import load_engines
    from modules.ingest import process_video
    from modules.settings import Settings

    extra = bench_visual_settings(WORK / "models") if picture else {}
    settings = Settings.from_env().with_overrides(device="cpu", offline=True, db_dir=HERE / "stages", **extra)
    engines = load_engines(settings)
    result = process_video(video, engines, settings)
    return {k: round(v, 2) for k, v in result.timings_s.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    args = ap.parse_args()
    said = transcripts()
    sets = material()
    runs: dict[str, dict[str, list]] = {}
    quality_of: dict[str, dict] = {}
    for _ in range(args.rounds):
        for name, items in sets.items():
            files = [p for p, _ in items]
            r = runs.setdefault(name, {"plain": [], "picture_on": [], "picture_off": []})
            out = HERE / f"plain_{name}"
            shutil.rmtree(out, ignore_errors=True)
            r["plain"].append(run([PY, "-m", "bench.plain_pipeline", str(out), *map(str, files)]))
            plain = plain_output(out)
            quality_of.setdefault(name, {})["plain"] = quality(items, plain, said, plain)
            for label, picture in (("picture_on", True), ("picture_off", False)):
                db = HERE / f"db_{name}_{label}"
                r[label].append(run(scene_finder(files, db, picture)))
                quality_of[name][label] = quality(items, library_output(db), said, plain)
    figures: dict = {"sets": {}, "quality": quality_of}
    for name, items in sets.items():
        video_s = sum(duration_s(p) for p, _ in items)
        speech_s = sum(s["end_s"] - s["start_s"] for _, sp in items for s in sp)
        best = {k: min(v, key=lambda x: x[0]) for k, v in runs[name].items()}
        figures["sets"][name] = {
            "videos": len(items), "video_s": round(video_s, 1), "speech_share": round(speech_s / video_s, 2),
            **{k: {"wall_s": round(w, 1), "x_realtime": round(video_s / w, 2), "peak_rss_mib": round(m),
                   "cpu_s": round(c, 1)} for k, (w, m, c) in best.items()},
            "speed_vs_plain_picture_on": round(best["plain"][0] / best["picture_on"][0], 2),
            "speed_vs_plain_picture_off": round(best["plain"][0] / best["picture_off"][0], 2),
        }
    long720 = sets["long_720p"][0][0]
    figures["stages_long_720p"] = {"picture_on": stages(long720, True), "picture_off": stages(long720, False)}
    figures["rounds"] = args.rounds
    write_results("ingest_vs_plain", figures, markdown(figures))


def markdown(f: dict) -> str:
    md = ["# Ingest vs a plain script of the same libraries (bench/ingest_vs_plain.py)", "",
          "Real footage cut like film with real recorded speech (bench/real_speech.py); wall time from process "
          "start to exit; text on screen on in Scene Finder (the default), never in the plain script.", "",
          "| material | video s | speech share | plain s (x RT) | Scene Finder, picture on s (x RT) | picture off s (x RT) "
          "| speed vs plain, on / off | CPU s plain / on / off | peak RSS MiB plain / on / off |",
          "|---|---|---|---|---|---|---|---|---|"]
    for name, s in f["sets"].items():
        p, on, off = s["plain"], s["picture_on"], s["picture_off"]
        md.append(f"| {name} ({s['videos']} videos) | {s['video_s']} | {s['speech_share']} | {p['wall_s']} "
                  f"({p['x_realtime']}x) | {on['wall_s']} ({on['x_realtime']}x) | {off['wall_s']} ({off['x_realtime']}x) | "
                  f"**{s['speed_vs_plain_picture_on']}x** / {s['speed_vs_plain_picture_off']}x | "
                  f"{p['cpu_s']} / {on['cpu_s']} / {off['cpu_s']} | "
                  f"{p['peak_rss_mib']} / {on['peak_rss_mib']} / {off['peak_rss_mib']} |")
    md += ["", "Quality beside speed (word error rate against what was said; the plain script's cuts found within "
           "0.25 s):", "", "| material | plain WER | picture on: WER, cuts | picture off: WER, cuts |", "|---|---|---|---|"]
    for name, q in f["quality"].items():
        md.append(f"| {name} | {q['plain']['wer']} | {q['picture_on']['wer']}, {q['picture_on']['plain_cuts_found']} | "
                  f"{q['picture_off']['wer']}, {q['picture_off']['plain_cuts_found']} |")
    st = f["stages_long_720p"]
    md += ["", "Where Scene Finder's time goes, long 720p video, in process (seconds; decode+shots, ASR and OCR "
           "overlap):", "", "| stage | picture on | picture off |", "|---|---|---|"]
    for k in st["picture_on"]:
        md.append(f"| {k} | {st['picture_on'][k]} | {st['picture_off'].get(k, '')} |")
    return "\n".join(md)


if __name__ == "__main__":
    main()
