"""The command line's parser: one function per command, with the flags they share."""

from __future__ import annotations

import argparse
from pathlib import Path


def _model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("models")
    g.add_argument("--device", choices=["auto", "cpu", "cuda"], help="default auto: CUDA when present")
    g.add_argument("--visual-model", help="open_clip model name (default: the device preset)")
    g.add_argument("--visual-pretrained", help="open_clip pretrained tag or checkpoint path")
    g.add_argument("--visual-config", help="extra open_clip model-config JSON to register")
    g.add_argument("--text-models", "--text-model", dest="text_models",
                   help="text models, comma-separated: names, aliases (e5, use) or sentence-transformers folders")
    g.add_argument("--asr-backend", choices=["faster-whisper", "openai-whisper"])
    g.add_argument("--asr-model", help="whisper size (base, small, large-v3) or model folder")
    g.add_argument("--offline", action="store_true", default=None, help="never try to download weights")


def _caption_flags(p: argparse.ArgumentParser, adapter: bool = True) -> None:
    p.add_argument("--caption-model", help="vision-language model, name or folder (default: the device preset)")
    p.add_argument("--frames", dest="caption_frames", type=int, help="frames sampled per clip (default 4)")
    if adapter:
        p.add_argument("--no-adapter", action="store_true", help="the base model alone, without lora_weights/")


def _db_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", dest="db_dir", type=Path, help="library folder (default db/)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description="Scene Finder: find a scene by describing it.")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    _ingest(sub)
    _library(sub)
    _remove(sub)
    _reindex(sub)
    _search(sub)
    _similar(sub)
    _timeline(sub)
    _people(sub)
    _caption(sub)
    _train_lora(sub)
    _make_dataset(sub)
    _models(sub)
    _app(sub)
    _demo(sub)
    return parser


def _ingest(sub) -> None:
    p = sub.add_parser("ingest", help="add videos (files or folders) to the library")
    p.add_argument("paths", nargs="+", type=Path)
    _db_flag(p)
    _model_flags(p)
    p.add_argument("--workers", type=int, help="videos processed at once (default 1)")
    p.add_argument("--captions", action="store_true", help="also caption every shot (video-to-text model)")
    p.add_argument("--no-ocr", dest="ocr", action="store_false", default=None,
                   help="do not read text on screen (subtitles, signs); faster")
    p.add_argument("--no-faces", dest="faces", action="store_false", default=None,
                   help="do not look for faces (who is in a shot); faster")
    g = p.add_argument_group("Ray (a library larger than one machine)")
    g.add_argument("--ray", dest="ray_address", nargs="?", const="local", default=None, metavar="ADDRESS",
                   help="process videos on Ray: alone, a local runtime of all cores (or the cluster RAY_ADDRESS "
                        "names); with ADDRESS (ray://head:10001, auto) that cluster")
    g.add_argument("--ray-workers", type=int, help="workers (default: one per GPU, or CPUs / cores per worker)")
    g.add_argument("--ray-cpus-per-worker", type=int, help="cores each CPU worker takes (default 2)")
    g.add_argument("--ray-ship-mb", type=int,
                   help="ship files up to this many MB to workers through Ray's object store (default 0: workers "
                        "read shared storage at the same path)")
    _caption_flags(p)


def _library(sub) -> None:
    p = sub.add_parser("library", help="list the videos in the library")
    _db_flag(p)
    p.add_argument("--json", action="store_true", help="videos with shots and dialogue as JSON")


def _remove(sub) -> None:
    p = sub.add_parser("remove", help="remove a video (by id, path or file name) from the library")
    p.add_argument("video")
    _db_flag(p)


def _reindex(sub) -> None:
    p = sub.add_parser("reindex", help="re-embed the whole library with the configured models")
    _db_flag(p)
    p.add_argument("--ocr", action="store_true",
                   help="instead: read the text on screen of videos added before that channel (or with --no-ocr)")
    p.add_argument("--faces", action="store_true", default=None,
                   help="instead: find the faces of videos added before that channel (or with --no-faces)")
    p.add_argument("--text", action="store_true",
                   help="only the text channels, from their stored text: adds a configured text model's vectors "
                        "(no speech recognition, no picture model), drops those of models no longer configured")
    _model_flags(p)


def _search(sub) -> None:
    p = sub.add_parser("search", help="find moments by a description, in Korean or English, or by a face")
    p.add_argument("query", nargs="?", default="", help="what is seen or said (may be left out with --face)")
    p.add_argument("--face", type=Path, metavar="PHOTO", help="a photo of a person: the shots where they appear")
    p.add_argument("--face-index", type=int, help="which face of the photo, from the left (default: the largest)")
    _db_flag(p)
    _model_flags(p)
    p.add_argument("--top-k", type=int, default=None, help="number of moments (default 5)")
    p.add_argument("--weights", help="channel weights in the ranking, e.g. visual=0,dialogue=2 (default 1 each)")
    p.add_argument("--video", help="only videos whose name matches this glob or substring")
    p.add_argument("--from", dest="from_s", type=float, help="only moments from this second on")
    p.add_argument("--to", dest="to_s", type=float, help="only moments up to this second")
    p.add_argument("--json", action="store_true")
    p.add_argument("--export", type=Path, metavar="DIR",
                   help="also write the hits as MP4 clips + hits.edl (CMX 3600) + hits.csv + hits.srt into DIR")
    p.add_argument("--margin", type=float, default=1.0, help="seconds added before and after each exported clip")
    p.add_argument("--no-clips", action="store_true", help="with --export: the EDL, CSV and SRT only")


def _similar(sub) -> None:
    p = sub.add_parser("similar", help="more like this: shots that look like a frame of a video, or a picture")
    p.add_argument("video", nargs="?", help="a library video (id, name or path) or any video file")
    p.add_argument("--at", dest="at_s", type=float, help="seconds into VIDEO")
    p.add_argument("--image", type=Path, help="a picture file instead of a video frame")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--json", action="store_true")
    _db_flag(p)
    _model_flags(p)


def _timeline(sub) -> None:
    p = sub.add_parser("timeline", help="a video's shots in order, with their dialogue and text on screen")
    p.add_argument("video", help="id, name or path of a library video")
    p.add_argument("--json", action="store_true")
    _db_flag(p)


def _caption(sub) -> None:
    p = sub.add_parser("caption", help="describe a trimmed span of a video (Korean and English) with its dialogue")
    p.add_argument("video", type=Path)
    p.add_argument("--start", type=float, required=True, help="seconds")
    p.add_argument("--end", type=float, required=True, help="seconds")
    p.add_argument("--lang", choices=["ko", "en", "both"], default="both")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, help="also write JSON and SRT files into this folder")
    _caption_flags(p)
    _model_flags(p)


def _train_lora(sub) -> None:
    p = sub.add_parser("train-lora", help="fine-tune the captioning model with LoRA on JSONL clips and captions")
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--val", type=Path)
    p.add_argument("--out", type=Path, default=Path("lora_weights"))
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--alpha", type=int, default=16)
    p.add_argument("--dropout", type=float, default=0.05)
    p.add_argument("--target-modules", default=None, help="regex over module names, or a comma list of names")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=1)
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint in OUT/checkpoints")
    _caption_flags(p, adapter=False)
    _model_flags(p)


def _make_dataset(sub) -> None:
    p = sub.add_parser("make-dataset", help="training JSONL from the library's captioned shots")
    _db_flag(p)
    p.add_argument("--out", type=Path, default=Path("data"))
    p.add_argument("--split", default="0.8,0.1,0.1", help="train,val,test fractions")


def _models(sub) -> None:
    p = sub.add_parser("models", help="load (and on first run download) the configured models; show which are active")
    _model_flags(p)


def _app(sub) -> None:
    p = sub.add_parser("app", help="open the app (Streamlit) on this machine only: http://127.0.0.1:8501")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1",
                   help="listen on another address (0.0.0.0: every network; see README, serving a team)")
    _db_flag(p)


def _demo(sub) -> None:
    p = sub.add_parser("demo", help="make a small sample library and search it (first run)")
    p.add_argument("--samples", type=Path, default=Path("data/samples"), help="where sample clips are written")
    _db_flag(p)
    _model_flags(p)


def _people(sub) -> None:
    p = sub.add_parser("people", help="the people whose faces the library holds; name one, join two")
    p.add_argument("action", nargs="?", default="list", choices=["list", "name", "merge"])
    p.add_argument("ids", nargs="*", help='name: ID "이름"; merge: KEEP OTHER')
    p.add_argument("--json", action="store_true")
    p.add_argument("--crops", type=Path, metavar="DIR", help="also write each person's largest face into DIR")
    p.add_argument("--no-group", action="store_true", help="list as they are, without grouping new face tracks")
    _db_flag(p)
