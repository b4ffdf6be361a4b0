"""Real footage with real human speech laid over it: the material of the quality and ingest benches.

Speech: Debian ``asterisk-core-sounds-en-g722`` (CC-BY-SA, 16 kHz wideband): 568 studio recordings
of one professional voice (Allison Smith), with their transcripts in
``asterisk-core-sounds-en``'s ``core-sounds-en.txt.gz``. Telephone-menu prompts, not film
dialogue, but real human speech with its pace, stress and breathing, and a transcript to judge
against. Footage: bench/real_media.py (street, hand-held, film trailer), cut every 2-6 s
like edited film, re-encoded H.264 at 720p or 1080p, 25 fps, AAC audio.

A composed video is cached under bench/.work/real_speech/ beside a JSON of where each line is
spoken, so benches judge a hit by time.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
from pathlib import Path

import numpy as np

from bench.common import WORK
from bench.real_media import as_720p, duration_s, sources

SOUNDS = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
TRANSCRIPTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
RATE = 16000
INSTALL = "sudo apt-get install asterisk-core-sounds-en-g722 asterisk-core-sounds-en"


def transcripts() -> dict[str, str]:
    """Prompt name -> what is said."""
    if not TRANSCRIPTS.exists() or not SOUNDS.exists():
        raise SystemExit(f"Debian's Asterisk recordings are missing (real speech for this bench): {INSTALL}")
    out = {}
    for line in gzip.open(TRANSCRIPTS, "rt", encoding="utf-8", errors="replace"):
        m = re.match(r"^([\w/-]+):\s*(.+)$", line.strip())
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def speech(name: str) -> np.ndarray:
    """One recording as float32 mono at 16 kHz."""
    path = SOUNDS / f"{name}.g722"
    raw = subprocess.run(["ffmpeg", "-v", "error", "-f", "g722", "-i", str(path), "-f", "s16le", "-ac", "1",
                          "-ar", str(RATE), "-"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, np.int16).astype(np.float32) / 32768


def footage(height: int) -> list[Path]:
    width = height * 16 // 9
    return [as_720p(s, width, height) for s in sources(film=True)]


def compose(name: str, lines: list[tuple[str, str]], height: int = 720, seed: int = 0,
            gap_s: tuple[float, float] = (0.4, 1.6), lead_s: float = 1.0) -> tuple[Path, list[dict]]:
    """A video of real footage with ``lines`` spoken one after another.

    ``lines``: (key, Asterisk prompt name).
    Returns the video and, per line, {"key", "start_s", "end_s"} (cached).
    """
    out = WORK / "real_speech" / f"{name}_{height}p.mp4"
    if out.exists() and out.with_suffix(".json").exists():
        return out, json.loads(out.with_suffix(".json").read_text())
    rng = random.Random(seed)
    pieces, spoken, t = [np.zeros(int(lead_s * RATE), np.float32)], [], lead_s
    for key, source in lines:
        audio = speech(source)
        spoken.append({"key": key, "start_s": round(t, 3), "end_s": round(t + len(audio) / RATE, 3)})
        gap = rng.uniform(*gap_s)
        pieces += [audio, np.zeros(int(gap * RATE), np.float32)]
        t += len(audio) / RATE + gap
    return compose_audio(name, np.concatenate(pieces), spoken, height, seed, rng)


def compose_audio(name: str, audio: np.ndarray, spoken: list[dict], height: int = 720,
                  seed: int = 0, rng: random.Random | None = None) -> tuple[Path, list[dict]]:
    """A video of real footage cut every 2-6 s (cycling through the sources) under ``audio`` (float32
    mono 16 kHz), with ``spoken`` (where each line is) saved beside it; cached. ``rng`` (else one
    seeded with ``seed``) draws the cuts."""
    folder = WORK / "real_speech"
    out = folder / f"{name}_{height}p.mp4"
    meta = out.with_suffix(".json")
    if out.exists() and meta.exists():
        return out, json.loads(meta.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    rng = rng or random.Random(seed)
    t = len(audio) / RATE
    wav = folder / f"{name}.s16"
    (np.clip(audio, -1, 1) * 32767).astype(np.int16).tofile(wav)

    srcs = footage(height)
    lengths = {s: duration_s(s) for s in srcs}
    cmd, filters, total, i = ["ffmpeg", "-v", "error", "-y"], [], 0.0, 0
    order = srcs[seed % len(srcs):] + srcs[: seed % len(srcs)]
    while total < t:
        src = order[i % len(order)]
        seg = min(rng.uniform(2.0, 6.0), t - total + 0.2)
        start = rng.uniform(0, max(0.0, lengths[src] - seg - 0.1))
        cmd += ["-ss", f"{start:.2f}", "-t", f"{seg:.2f}", "-i", str(src)]
        filters.append(f"[{i}:v]setpts=PTS-STARTPTS,fps=25,setsar=1[v{i}]")
        total += seg
        i += 1
    concat = "".join(f"[v{j}]" for j in range(i)) + f"concat=n={i}:v=1:a=0[v]"
    cmd += ["-f", "s16le", "-ar", str(RATE), "-ac", "1", "-i", str(wav),
            "-filter_complex", ";".join(filters + [concat]), "-map", "[v]", "-map", f"{i}:a",
            "-c:v", "libx264", "-preset", "medium", "-crf", "21", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "128k", "-t", f"{t:.2f}", "-movflags", "+faststart", str(out)]
    subprocess.run(cmd, check=True)
    wav.unlink()
    meta.write_text(json.dumps(spoken, indent=1))
    return out, spoken
