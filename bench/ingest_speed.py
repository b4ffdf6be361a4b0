"""Ingest speed on a few minutes of 720p video, CPU preset, and where the time goes.

    python -m bench.ingest_speed [--minutes 3]

The clip is made here (ffmpeg lavfi pictures, a cut every 4 s, espeak-ng speech in
every other shot). Real weights: faster-whisper base int8, multilingual e5 small;
the image tower is ViT-B/32 with random weights (same compute as the preset).
Writes bench/results/ingest_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import time

from bench.common import WORK, write_results
from bench.stand_ins import bench_visual_settings
from bench.quality_set import LINES

from modules.engines import load_engines
from modules.ingest import process_video
from modules.store import Library
from modules.samples import SampleShot, make_clip
from modules.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=3.0)
    args = ap.parse_args()
    work = WORK / "ingest_speed"
    n_shots = int(args.minutes * 60 / 4)
    clip = work / f"720p_{n_shots}shots.mp4"
    if not clip.exists():
        shots = [SampleShot(4.0, LINES[i % len(LINES)] if i % 2 == 0 else "", source=i) for i in range(n_shots)]
        make_clip(clip, shots, size=(1280, 720), fps=24)
    settings = Settings.from_env().with_overrides(device="cpu", db_dir=work / "db", **bench_visual_settings(work))
    shutil.rmtree(settings.db_dir, ignore_errors=True)

    t = time.perf_counter()
    engines = load_engines(settings)
    load_s = time.perf_counter() - t
    t = time.perf_counter()
    result = process_video(clip, engines, settings)
    process_s = time.perf_counter() - t
    t = time.perf_counter()
    with Library.open(settings.db_dir, create=True, writable=True) as lib:
        lib.check_models(engines.stamps(), for_write=True)
        lib.add_video(result)
        lib.save_indexes()
    write_s = time.perf_counter() - t
    total = process_s + write_s
    dur = result.info.duration_s
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = {k: round(v, 2) for k, v in result.timings_s.items()}
    figures = {
        "video": {"duration_s": round(dur, 1), "size": f"{result.info.width}x{result.info.height}",
                  "fps": result.info.fps, "shots": len(result.shots), "keyframes": len(result.keyframes),
                  "dialogue_segments": len(result.segments)},
        "models_load_s": round(load_s, 2),
        "stages_s": {**stages, "write_s": round(write_s, 2)},
        "wall_s": round(total, 2),
        "realtime_factor": round(dur / total, 2),
        "peak_rss_mib": round(peak_mib),
        "models": engines.describe(),
    }
    asr = stages.get("asr_s", 0)
    md = f"""# Ingest speed (bench/ingest_speed.py)

{dur:.0f} s of {result.info.width}x{result.info.height} video at {result.info.fps:g} fps, {len(result.shots)} shots,
{len(result.keyframes)} keyframes, {len(result.segments)} dialogue segments; CPU preset (2 cores).

| stage | seconds |
|---|---|
| decode + shot detection + keyframes (one pass) | {stages['decode_shots_s']} |
| ASR (faster-whisper base int8, in parallel with the pass above) | {asr} |
| text on screen (PP-OCR + Tesseract, in parallel with the pass above; {len(result.screen_texts or [])} lines) | {stages.get('ocr_s', 0)} |
| image embeddings (ViT-B/32, {len(result.keyframes)} keyframes) | {stages['embed_images_s']} |
| text embeddings | {stages['embed_text_s']} |
| library write (SQLite + FAISS + thumbnails) | {round(write_s, 2)} |
| **wall, per video** | **{round(total, 2)}** |

Real-time factor: **{dur / total:.1f}x** (video seconds per wall second); peak RSS {peak_mib:.0f} MiB;
models loaded once in {load_s:.1f} s (not counted).
"""
    write_results("ingest_speed", figures, md)


if __name__ == "__main__":
    main()
