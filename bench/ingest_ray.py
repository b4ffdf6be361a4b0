"""Ingest on Ray: 1 vs 2 workers on this machine, and what N GPU nodes would do.

    python -m bench.ingest_ray

Material: the real footage of bench/real_media.py (H.264 720p) with a spoken line (espeak-ng)
laid over every clip, so every unit runs the whole pipeline: decode, shots, keyframes, ASR,
text on screen, image and text embeddings (the picture channel with the CPU preset's
architecture and random weights). The same files are ingested by a plain `main.py ingest`
(in-process, one unit at a time) and on a local Ray runtime with 1 and 2 workers of one core
each, alternating, each into a fresh library; wall time from the call to the last commit,
Ray's start included. Per-video costs measured here give the estimate for N nodes.
Writes bench/results/ingest_ray.{json,md}.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from bench.common import WORK, write_results
from bench.real_media import as_720p, duration_s, sources
from bench.stand_ins import bench_visual_settings

from modules.settings import Settings

LINES = ["The ticket office is closed today.", "Take the last train to the harbour.",
         "Please bring the umbrella, it will rain tonight.", "Somebody ate all the chocolate cake."]


def material() -> list[Path]:
    out = []
    folder = WORK / "ray" / "clips"
    folder.mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(as_720p(s) for s in sources()):
        clip = folder / f"{src.stem}_speech.mp4"
        if not clip.exists():
            wav = folder / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), LINES[i % len(LINES)]], check=True)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-i", str(wav), "-map", "0:v", "-map", "1:a",
                            "-c:v", "copy", "-c:a", "aac", "-af", "apad", "-shortest", str(clip)], check=True)
        out.append(clip)
    return out


def timed(files: list[Path], settings: Settings, label: str) -> dict:
    from modules.ingest import ingest

    shutil.rmtree(settings.db_dir, ignore_errors=True)
    t = time.perf_counter()
    summary = ingest(files, settings)
    wall = time.perf_counter() - t
    bad = summary.by_status("failed")
    if bad:
        raise SystemExit(f"{label}: {[(o.path.name, o.detail) for o in bad]}")
    busy = sum(n.busy_s for n in summary.nodes.values())
    return {"wall_s": round(wall, 2), "worker_busy_s": round(busy, 2), "videos": len(summary.outcomes)}


def main() -> None:
    files = material()
    video_s = sum(duration_s(f) for f in files)
    base = Settings.from_env().with_overrides(device="cpu", offline=True, **bench_visual_settings(WORK / "models"))
    runs: dict[str, list[dict]] = {"plain": [], "ray_1": [], "ray_2": []}
    for _ in range(2):  # alternate, twice; the faster of each counts (shared machines drift)
        runs["plain"].append(timed(files, base.with_overrides(db_dir=WORK / "ray" / "db_plain"), "plain"))
        for n in (1, 2):
            s = base.with_overrides(db_dir=WORK / "ray" / f"db_ray{n}", ray_address="local", ray_workers=n,
                                    ray_cpus_per_worker=1)
            runs[f"ray_{n}"].append(timed(files, s, f"ray {n}"))
    best = {k: min(v, key=lambda r: r["wall_s"]) for k, v in runs.items()}
    per_video_s = best["ray_1"]["worker_busy_s"] / len(files)  # one worker alone, per video
    x_rt_machine = video_s / min(best["plain"]["wall_s"], best["ray_2"]["wall_s"])
    x_rt_core = x_rt_machine / 2  # this machine has 2 cores; a node of C cores ~ C times this
    figures = {
        "videos": len(files), "video_s": round(video_s, 1), "runs": runs, "best": best,
        "speedup_2_vs_1_workers": round(best["ray_1"]["wall_s"] / best["ray_2"]["wall_s"], 2),
        "ray_2_vs_plain": round(best["plain"]["wall_s"] / best["ray_2"]["wall_s"], 2),
        "per_video_one_worker_s": round(per_video_s, 2), "x_realtime_per_core": round(x_rt_core, 2),
        "estimate_hours_1000h_film": {n: round(1000 / (16 * x_rt_core * n), 1) for n in (1, 4, 10, 40)},
    }
    md = f"""## Ingest on Ray (bench/ingest_ray.py)

{len(files)} real clips (720p H.264, {video_s:.0f} s, a spoken line each), this 2-core machine, full pipeline:

| run | wall s (best of 2) | x real time |
|---|---|---|
| plain `ingest` (one unit at a time, all cores) | {best['plain']['wall_s']} | {video_s / best['plain']['wall_s']:.2f} |
| Ray, 1 worker x 1 core | {best['ray_1']['wall_s']} | {video_s / best['ray_1']['wall_s']:.2f} |
| Ray, 2 workers x 1 core | {best['ray_2']['wall_s']} | {video_s / best['ray_2']['wall_s']:.2f} |

2 workers vs 1: {figures['speedup_2_vs_1_workers']}x; Ray with 2 workers vs plain: {figures['ray_2_vs_plain']}x
(Ray's start, about 7 s here, and a model load per worker are in the wall time). One worker alone
takes {per_video_s:.1f} s a clip, but its decode, ASR and text-on-screen stages run in parallel
threads, so it uses more than the one core Ray reserves for it: two such workers share this
machine's 2 cores. The machine does {x_rt_machine:.2f}x real time, about {x_rt_core:.2f}x per core.

Estimate for a bigger library, from that per-core figure (CPU nodes, decode scaling with cores,
shared storage keeping up; the single writer commits a video in about 0.1 s, far from a limit):
1,000 hours of film on 16-core nodes take about
{', '.join(f"{h} h on {n} node{'s' if n > 1 else ''}" for n, h in figures['estimate_hours_1000h_film'].items())}.
GPU nodes move ASR and embeddings to the GPU; not measured here (no GPU machine was lent).
"""
    write_results("ingest_ray", figures, md)


if __name__ == "__main__":
    main()
