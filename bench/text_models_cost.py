"""What the second text model costs an ingest: the long film of bench/ingest_vs_plain.py (6 minutes of
real footage cut like film with real speech over most of it, H.264 720p) ingested with e5 alone and
with e5 + USE-m, runs alternating, the picture channel on (the CPU preset's architecture, random
weights) and text on screen on, as a user's default ingest.

    python -m bench.text_models_cost [--rounds 2]

Wall time from process start to exit and CPU seconds (user + system) of each child; the faster of
the rounds counts. Writes bench/results/text_models_cost.{json,md}.
"""

from __future__ import annotations

import argparse
import shutil

from bench.common import WORK, write_results
from bench.ingest_vs_plain import PY, run
from bench.real_speech import compose
from bench.real_speech_set import LINES
from bench.stand_ins import bench_visual_args

MODELS = {"e5 alone": "intfloat/multilingual-e5-small",
          "e5 + USE-m": "intfloat/multilingual-e5-small,google/universal-sentence-encoder-multilingual-3"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    film, _ = compose("film_long", [(p, p) for p, *_ in LINES[:48]], 720, seed=100, gap_s=(0.4, 2.0))  # as ingest_vs_plain
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(args.rounds):
        for label, models in MODELS.items():
            db = WORK / "text_models_cost" / label.replace(" ", "_").replace("+", "and")
            shutil.rmtree(db, ignore_errors=True)
            cmd = [PY, "main.py", "ingest", "--db", str(db), "--offline", "--text-models", models,
                   *bench_visual_args(WORK / "models"), str(film)]
            wall, rss, cpu = run(cmd)
            print(f"{label}: {wall:.1f} s wall, {cpu:.1f} CPU s, {rss:.0f} MiB", flush=True)
            if label not in best or wall < best[label][0]:
                best[label] = (wall, cpu, rss)
    one, two = best["e5 alone"], best["e5 + USE-m"]
    figures = {"video": film.name, "video_s": 360, "rounds": args.rounds,
               "runs": {k: {"wall_s": round(w, 2), "cpu_s": round(c, 2), "peak_rss_mib": round(r)}
                        for k, (w, c, r) in best.items()},
               "wall_added": round(two[0] / one[0] - 1, 4), "cpu_added": round(two[1] / one[1] - 1, 4)}
    md = ["# What the second text model costs an ingest (bench/text_models_cost.py)", "",
          f"The 6-minute 720p film with real speech, picture and text on screen on, best of {args.rounds} "
          "alternating runs.", "",
          "| text models | wall s | CPU s | peak RSS MiB |", "|---|---|---|---|"]
    for k, (w, c, r) in best.items():
        md.append(f"| {k} | {w:.1f} | {c:.1f} | {r:.0f} |")
    md += ["", f"USE-m added {figures['wall_added']:+.1%} wall time and {figures['cpu_added']:+.1%} CPU time."]
    write_results("text_models_cost", figures, "\n".join(md))


if __name__ == "__main__":
    main()
