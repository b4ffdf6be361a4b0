"""Sample clips with known cuts and known spoken lines, made with ffmpeg and espeak-ng.

Used by ``main.py demo`` (a first library on a fresh machine), by the tests and
by the benchmarks: the cut times and the words are known by construction.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from modules.errors import SceneFinderError

# lavfi sources that look clearly different from one another
SOURCES = (
    "testsrc2=size={w}x{h}:rate={fps}",
    "mandelbrot=size={w}x{h}:rate={fps}",
    "smptebars=size={w}x{h}:rate={fps}",
    "color=c=0x2050a0:size={w}x{h}:rate={fps},drawgrid=w=64:h=64:t=4:c=white",
    "cellauto=size={w}x{h}:rate={fps}:rule=110",
    "rgbtestsrc=size={w}x{h}:rate={fps}",
)


@dataclass(frozen=True)
class SampleShot:
    duration_s: float
    line: str = ""  # spoken in this shot ("" = silence)
    voice: str = "en-us"
    source: int = 0  # index into SOURCES


DEMO_CLIPS = {
    "station.mp4": [
        SampleShot(4.0, "The ticket office is closed today.", source=0),
        SampleShot(4.0, "Take the last train to the harbour.", source=1),
        SampleShot(3.0, "", source=2),
    ],
    "garden.mp4": [
        SampleShot(4.0, "The roses in the garden are blooming early.", source=3),
        SampleShot(4.0, "Please bring the umbrella, it will rain tonight.", source=4),
    ],
}


def require_tools() -> None:
    missing = [t for t in ("ffmpeg", "espeak-ng") if shutil.which(t) is None]
    if missing:
        raise SceneFinderError(
            f"{' and '.join(missing)} not found; install with: sudo apt-get install ffmpeg espeak-ng (setup.sh does this)"
        )


def make_clip(out: Path, shots: list[SampleShot], size: tuple[int, int] = (640, 360), fps: int = 25,
              audio: bool = True) -> Path:
    """Write a clip whose cuts are at the cumulative shot durations and whose lines are spoken
    at the start of their shot (0.3 s in)."""
    require_tools()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        parts = []
        for i, shot in enumerate(shots):
            src = SOURCES[shot.source % len(SOURCES)].format(w=w, h=h, fps=fps)
            part = tmp / f"part{i}.mp4"
            cmd = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"{src},format=yuv420p"]
            if audio:
                if shot.line:
                    wav = tmp / f"line{i}.wav"
                    _run(["espeak-ng", "-v", shot.voice, "-s", "150", "-w", str(wav), shot.line])
                    cmd += ["-i", str(wav), "-filter_complex",
                            f"[1:a]adelay=300|300,apad,atrim=0:{shot.duration_s},aresample=44100[a]",
                            "-map", "0:v", "-map", "[a]"]
                else:
                    cmd += ["-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-map", "0:v", "-map", "1:a"]
                cmd += ["-c:a", "aac", "-ac", "1"]
            cmd += ["-t", str(shot.duration_s), "-c:v", "libx264", "-preset", "veryfast", "-g", str(fps * 2),
                    "-pix_fmt", "yuv420p", str(part)]
            _run(cmd)
            parts.append(part)
        listing = tmp / "list.txt"
        listing.write_text("".join(f"file '{p}'\n" for p in parts))
        _run(["ffmpeg", "-v", "error", "-y", "-f", "concat", "-safe", "0", "-i", str(listing), "-c", "copy", str(out)])
    return out


def make_demo_samples(folder: Path) -> Path:
    folder = Path(folder)
    for name, shots in DEMO_CLIPS.items():
        if not (folder / name).exists():
            make_clip(folder / name, shots)
    return folder


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SceneFinderError(f"{cmd[0]} failed: {proc.stderr.strip()[-400:]}")


FACE_PHOTOS = ("obama", "obama2", "obama3", "biden", "obama_partial_face")


def fetch_face_photos(folder: Path) -> dict[str, Path]:
    """Real photographs of people to try the faces channel on: face_recognition's test images (Barack Obama
    in four photos, one half hidden; Joe Biden in one), taken from its source package on PyPI (cached)."""
    import sys
    import tarfile

    folder = Path(folder)
    if not all((folder / f"{n}.jpg").is_file() for n in FACE_PHOTOS):
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation", "--no-binary",
                        ":all:", "face_recognition==1.3.0", "-d", str(folder)], check=True, capture_output=True)
        with tarfile.open(folder / "face_recognition-1.3.0.tar.gz") as tar:
            for n in FACE_PHOTOS:
                data = tar.extractfile(f"face_recognition-1.3.0/tests/test_images/{n}.jpg").read()
                (folder / f"{n}.jpg").write_bytes(data)
    return {n: folder / f"{n}.jpg" for n in FACE_PHOTOS}
