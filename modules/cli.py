"""The command line: ``python main.py COMMAND ...``.

Arguments are checked before any model loads; errors print one clear line
(no traceback) and exit non-zero; a failing file in a batch is reported and
the batch goes on.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
from pathlib import Path

from modules.errors import USER_ERRORS, SceneFinderError
from modules.export import one_line
from modules.schema import mmss
from modules.settings import FLAGS, Settings

log = logging.getLogger("scene_finder")


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

    p = sub.add_parser("ingest", help="add videos (files or folders) to the library")
    p.add_argument("paths", nargs="+", type=Path)
    _db_flag(p)
    _model_flags(p)
    p.add_argument("--workers", type=int, help="videos processed at once (default 1)")
    p.add_argument("--captions", action="store_true", help="also caption every shot (video-to-text model)")
    p.add_argument("--no-ocr", dest="ocr", action="store_false", default=None,
                   help="do not read text on screen (subtitles, signs); faster")
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

    p = sub.add_parser("library", help="list the videos in the library")
    _db_flag(p)
    p.add_argument("--json", action="store_true", help="videos with shots and dialogue as JSON")

    p = sub.add_parser("remove", help="remove a video (by id, path or file name) from the library")
    p.add_argument("video")
    _db_flag(p)

    p = sub.add_parser("reindex", help="re-embed the whole library with the configured models")
    _db_flag(p)
    p.add_argument("--ocr", action="store_true",
                   help="instead: read the text on screen of videos added before that channel (or with --no-ocr)")
    p.add_argument("--text", action="store_true",
                   help="only the text channels, from their stored text: adds a configured text model's vectors "
                        "(no speech recognition, no picture model), drops those of models no longer configured")
    _model_flags(p)

    p = sub.add_parser("search", help="find moments by a description, in Korean or English")
    p.add_argument("query")
    _db_flag(p)
    _model_flags(p)
    p.add_argument("--top-k", type=int, default=None, help="number of moments (default 5)")
    p.add_argument("--video", help="only videos whose name matches this glob or substring")
    p.add_argument("--from", dest="from_s", type=float, help="only moments from this second on")
    p.add_argument("--to", dest="to_s", type=float, help="only moments up to this second")
    p.add_argument("--json", action="store_true")
    p.add_argument("--export", type=Path, metavar="DIR",
                   help="also write the hits as MP4 clips + hits.edl (CMX 3600) + hits.csv + hits.srt into DIR")
    p.add_argument("--margin", type=float, default=1.0, help="seconds added before and after each exported clip")
    p.add_argument("--no-clips", action="store_true", help="with --export: the EDL, CSV and SRT only")

    p = sub.add_parser("similar", help="more like this: shots that look like a frame of a video, or a picture")
    p.add_argument("video", nargs="?", help="a library video (id, name or path) or any video file")
    p.add_argument("--at", dest="at_s", type=float, help="seconds into VIDEO")
    p.add_argument("--image", type=Path, help="a picture file instead of a video frame")
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--json", action="store_true")
    _db_flag(p)
    _model_flags(p)

    p = sub.add_parser("timeline", help="a video's shots in order, with their dialogue and text on screen")
    p.add_argument("video", help="id, name or path of a library video")
    p.add_argument("--json", action="store_true")
    _db_flag(p)

    p = sub.add_parser("caption", help="describe a trimmed span of a video (Korean and English) with its dialogue")
    p.add_argument("video", type=Path)
    p.add_argument("--start", type=float, required=True, help="seconds")
    p.add_argument("--end", type=float, required=True, help="seconds")
    p.add_argument("--lang", choices=["ko", "en", "both"], default="both")
    p.add_argument("--json", action="store_true")
    p.add_argument("--out", type=Path, help="also write JSON and SRT files into this folder")
    _caption_flags(p)
    _model_flags(p)

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

    p = sub.add_parser("make-dataset", help="training JSONL from the library's captioned shots")
    _db_flag(p)
    p.add_argument("--out", type=Path, default=Path("data"))
    p.add_argument("--split", default="0.8,0.1,0.1", help="train,val,test fractions")

    p = sub.add_parser("models", help="load (and on first run download) the configured models; show which are active")
    _model_flags(p)

    p = sub.add_parser("app", help="open the app (Streamlit) on this machine only: http://127.0.0.1:8501")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="127.0.0.1",
                   help="listen on another address (0.0.0.0: every network; see README, serving a team)")
    _db_flag(p)

    p = sub.add_parser("demo", help="make a small sample library and search it (first run)")
    p.add_argument("--samples", type=Path, default=Path("data/samples"), help="where sample clips are written")
    _db_flag(p)
    _model_flags(p)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    """The environment's settings, with what the command's flags said (each flag's dest is its setting)."""
    return Settings.from_env().with_overrides(**{name: getattr(args, name, None) for name in FLAGS})


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = settings_from_args(args)
        return COMMANDS[args.command](args, settings)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # bad settings / flags
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a full disk, a folder that cannot be written: said, not a traceback
        print(f"error: {exc.strerror or exc}{': ' + str(exc.filename) if exc.filename else ''}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the library keeps what was committed. Run the same command to go on.", file=sys.stderr)
        if "ray" in sys.modules:  # Ray interrupted mid-start can crash the interpreter's teardown (SIGSEGV):
            sys.stdout.flush()  # the library is closed by now, so leave without it
            sys.stderr.flush()
            import os

            os._exit(130)
        return 130


# --- ingest -------------------------------------------------------------------------


class _TqdmProgress:
    def __init__(self, show: bool):
        from tqdm import tqdm

        self._tqdm = tqdm
        self._show = show
        self._batch = None
        self._video = None

    def batch_started(self, total: int) -> None:
        self._batch = self._tqdm(total=total, unit="video", desc="library", position=0, disable=not self._show)

    def video_started(self, path: Path, duration_s: float) -> None:
        # the per-video bar only on a terminal: in a log each redraw would be a line
        self._video = self._tqdm(total=round(duration_s, 1) or None, unit="s", desc=path.name[:30], position=1,
                                 leave=False, disable=not (self._show and sys.stderr.isatty()),
                                 bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}]")

    def video_advanced(self, path: Path, t_s: float) -> None:
        if self._video is not None:
            self._video.n = round(min(t_s, self._video.total or t_s), 1)
            self._video.refresh()

    def captions_started(self, total: int) -> None:
        self._caps = self._tqdm(total=total, unit="shot", desc="captions", disable=not self._show)

    def captions_advanced(self, done: int, total: int) -> None:
        self._caps.n = done
        self._caps.refresh()
        if done >= total:
            self._caps.close()

    def cluster_started(self, info: dict) -> None:
        where = f"{info['gpus']} GPU(s)" if info["gpus"] else f"{info['cpus']} CPU(s)"
        print(f"ray: {info['workers']} worker(s) on {where}, {info['cpus_per_worker']} core(s) each",
              file=sys.stderr)

    def nodes_advanced(self, stats: dict) -> None:
        if self._batch is not None:
            self._batch.set_postfix_str(", ".join(f"{s.host}: {s.videos} ({s.x_realtime:.1f}x)"
                                                  for s in stats.values())[:80])

    def close(self) -> None:
        if self._batch is not None:
            self._batch.close()

    def video_done(self, path: Path, status: str, detail: str = "") -> None:
        if self._video is not None:
            self._video.close()
            self._video = None
        if self._batch is not None:
            self._batch.update(1)
            if status == "failed":
                self._batch.write(f"failed  {path.name}: {detail}")


def cmd_ingest(args, settings: Settings) -> int:
    from modules.ingest import ingest

    captions = bool(getattr(args, "captions", False))
    progress = _TqdmProgress(show=True)
    summary = ingest(args.paths, settings, progress=progress, captions=captions,
                     use_adapter=not getattr(args, "no_adapter", False))
    progress.close()
    ok, skipped, failed = summary.by_status("ingested"), summary.by_status("skipped"), summary.by_status("failed")
    for w in summary.warnings:
        print(f"warning: {w}")
    for o in ok:
        print(f"ingested  {o.path.name}: {o.detail}")
    for o in skipped:
        print(f"skipped   {o.path.name}: {o.detail}")
    for o in failed:
        print(f"failed    {o.path.name}: {o.detail}")
    for node, s in summary.nodes.items():
        print(f"node {s.host} ({node}): {s.videos} video(s) on {len(s.workers)} worker(s), "
              f"{s.video_s:.0f} s of video in {s.busy_s:.0f} s of work ({s.x_realtime:.1f}x real time per worker)")
    video = f" ({summary.video_seconds:.0f} s of video)" if summary.video_seconds else ""
    print(f"{len(ok)} ingested, {len(skipped)} skipped, {len(failed)} failed in {summary.seconds:.1f} s{video}")
    return 1 if summary.nothing_done and failed else 0


# --- library ------------------------------------------------------------------------


def cmd_library(args, settings: Settings) -> int:
    from modules.library import Library

    with Library.open(settings.db_dir) as lib:
        rows = lib.videos()
        if args.json:
            print(json.dumps([lib.describe(r["id"]) for r in rows], ensure_ascii=False, indent=2))
            return 0
        if not rows:
            print(f"the library in {settings.db_dir}/ is empty; add videos with: python main.py ingest PATH")
            return 0
        print(f"{'id':>4}  {'video':40} {'length':>8} {'shots':>6} {'lines':>6}  language")
        for r in rows:
            print(f"{r['id']:>4}  {r['name'][:40]:40} {mmss(r['duration_s']):>8} {r['n_shots']:>6} "
                  f"{r['n_segments']:>6}  {r['language'] or '-'}")
        m = lib.manifest.data.get("channels", {})
        print("models: " + ", ".join(f"{ch}={(c.get('model') or 'off')}" for ch, c in m.items()))
    return 0


def cmd_remove(args, settings: Settings) -> int:
    from modules.library import Library

    with Library.open(settings.db_dir, writable=True) as lib:
        matches = lib.catalog.videos_matching(args.video)
        if not matches:
            raise SceneFinderError(f"no video {args.video!r} in the library; see: python main.py library")
        if len(matches) > 1:  # two files of one name in different folders: never guess which
            listing = "; ".join(f"#{r['id']} {r['path']}" for r in matches)
            raise SceneFinderError(f"{len(matches)} videos match {args.video!r} ({listing}); "
                                   f"remove one by its id: python main.py remove ID")
        r = matches[0]
        lib.remove_video(r["id"])
        print(f"removed {r['name']} (#{r['id']})")
    for w in lib.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def cmd_reindex(args, settings: Settings) -> int:
    from modules.reindex import read_screen_text, reindex

    if args.ocr:
        from tqdm import tqdm

        bar = tqdm(unit="video", desc="text on screen")

        def show(done: int, total: int, name: str) -> None:
            bar.total = total
            bar.set_postfix_str(name[:30])
            bar.update(done - bar.n)

        counts = read_screen_text(settings, progress=show)
        bar.close()
        print("read: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return 0
    counts = reindex(settings, text_only=args.text)
    print("re-embedded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_search(args, settings: Settings) -> int:
    from modules.search import search_cli

    export_to = getattr(args, "export", None)
    margin = getattr(args, "margin", 1.0)
    if export_to is not None and not (math.isfinite(margin) and 0 <= margin <= 60):
        raise SceneFinderError(f"--margin must be between 0 and 60 seconds (got {margin})")
    if export_to is not None and _inside_folder(export_to, settings.db_dir):
        raise SceneFinderError(f"--export {export_to} is inside the library folder {settings.db_dir}/; "
                               f"export to a folder of its own, e.g. --export exports/")
    result = search_cli(args, settings)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_table(result))
    if export_to is not None:
        return _export(result, export_to, margin, not args.no_clips, settings)
    return 0


def _inside_folder(path: Path, folder: Path) -> bool:
    try:
        real, root = Path(path).expanduser().resolve(), Path(folder).expanduser().resolve()
    except (OSError, RuntimeError):
        return False
    return real == root or real.is_relative_to(root)


def _export(result, folder: Path, margin: float, clips: bool, settings: Settings) -> int:
    """Exit status: 1 only when clips were asked for and none could be cut."""
    from modules.export import export, moments
    from modules.library import Library

    if not result.hits:
        print("nothing to export: the search found nothing", file=sys.stderr)
        return 0
    with Library.open(settings.db_dir) as lib:
        items = moments(result.hits, lib.catalog, margin)
    files, made, failed = export(items, folder, result.query, clips=clips)
    for f in files:
        print(f"wrote {f}", file=sys.stderr)
    for c in made:
        print(f"wrote {c.path} ({c.moment.duration_s:.2f} s, {c.method}, {c.seconds:.1f} s)", file=sys.stderr)
    for f in failed:
        print(f"not cut: hit {f.index} ({one_line(f.moment.video.name)}): {one_line(f.reason)}", file=sys.stderr)
    return 1 if clips and failed and not made else 0


def format_table(result) -> str:
    """A search answer for a terminal: every hit, confident ones first, each with how sure it is."""
    from modules.schema import mmss

    lines = [f"query: {one_line(result.query)}"] + [f"warning: {w}" for w in result.warnings]
    if result.no_confident_match:
        lines.append("no confident match in the library; the closest moments, all low confidence:")
    lines.append(f"{'#':>2}  {'video':30} {'at':>7} {'shot':>15}  {'sure':7} evidence")
    for i, h in enumerate(result.hits, 1):
        shot = f"{mmss(h.shot_start_s, tenths=True)}-{mmss(h.shot_end_s, tenths=True)}"
        sure = h.confidence_label if h.confidence is None else f"{h.confidence_label} {h.confidence:.0%}"
        lines.append(f"{i:>2}  {one_line(Path(h.video).name)[:30]:30} {mmss(h.frame_s, tenths=True):>7} {shot:>15}  "
                     f"{sure:7} {one_line(h.evidence)}")
    return "\n".join(lines)


def cmd_similar(args, settings: Settings) -> int:
    from modules.library import Library
    from modules.pictures import read_picture
    from modules.search import Searcher, picture_channel_off

    if args.image is None and (args.video is None or args.at_s is None):
        raise SceneFinderError("give a video and --at SECONDS, or --image FILE")
    with Library.open(settings.db_dir) as lib:  # a missing library, or one without pictures, is said first
        off = picture_channel_off(lib)
    if off:
        raise SceneFinderError(off)
    image = read_picture(args.image) if args.image is not None else None  # bounded before it is decoded
    searcher = Searcher(settings)
    try:
        result = searcher.similar(args.video, args.at_s, image, args.top_k)
    finally:
        searcher.close()
    print(json.dumps(result.to_json(), ensure_ascii=False, indent=2) if args.json else format_table(result))
    return 0


def cmd_timeline(args, settings: Settings) -> int:
    from modules.library import Library

    with Library.open(settings.db_dir) as lib:
        rows = lib.catalog.videos_matching(args.video)
        if len(rows) != 1:
            listing = "; ".join(f"#{r['id']} {r['path']}" for r in rows)
            raise SceneFinderError(f"{args.video!r} names {len(rows)} videos{' (' + listing + ')' if rows else ''}; "
                                   f"give one id (see: python main.py library)")
        video = lib.catalog.describe(rows[0]["id"])
        shots = lib.catalog.timeline(rows[0]["id"])
    if args.json:
        print(json.dumps({"video": {k: video[k] for k in ("id", "path", "name", "duration_s", "fps")},
                          "shots": shots}, ensure_ascii=False, indent=2))
        return 0
    print(f"#{video['id']} {video['name']} ({mmss(video['duration_s'])}, {len(shots)} shots)")
    for s in shots:
        print(f"{s['index']:>4}  {mmss(s['start_s'], tenths=True)}-{mmss(s['end_s'], tenths=True)}")
        for d in s["dialogue"]:
            print(f"        said {mmss(d['start_s'], tenths=True)}  {d['text']}")
        for t in s["screen_text"]:
            print(f"   on screen {mmss(t['start_s'], tenths=True)}  {t['text']}")
        if s["caption"]:
            print(f"     caption  {s['caption']}")
    return 0


def cmd_models(args, settings: Settings) -> int:
    from modules.engines import load_engines

    engines = load_engines(settings)
    for k, v in engines.describe().items():
        print(f"{k:8} {v}")
    return 0


def cmd_caption(args, settings: Settings) -> int:
    from modules.captioning import caption_span, check_span, write_outputs
    from modules.engines import load_engines
    from modules.media import probe

    info = probe(args.video)  # bad files and spans are refused before a model loads
    check_span(info.duration_s, args.start, args.end, settings.max_caption_span_s)
    langs = ("ko", "en") if args.lang == "both" else (args.lang,)
    transcriber = load_engines(settings, with_visual=False).transcriber if info.has_audio else None
    result = caption_span(args.video, args.start, args.end, settings, langs, use_adapter=not args.no_adapter,
                          transcriber=transcriber, progress=lambda msg: log.info(msg), info=info)
    if args.out:
        for path in write_outputs(result, args.out):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return 0
    print(f"{Path(result.video).name} {mmss(result.start_s)}-{mmss(result.end_s)}  ({result.model})")
    for lang, text in result.captions.items():
        print(f"caption [{lang}]: {text}")
    for d in result.dialogue:
        print(f"  {mmss(d['start_s'])}  {d['text']}")
    if not result.dialogue:
        print("  (no dialogue)")
    return 0


def cmd_train_lora(args, settings: Settings) -> int:
    from modules.training import DEFAULT_TARGETS, LoraSpec, train_lora

    spec = LoraSpec(rank=args.rank, alpha=args.alpha, dropout=args.dropout, lr=args.lr, epochs=args.epochs,
                    batch_size=args.batch_size, grad_accum=args.grad_accum,
                    target_modules=args.target_modules or DEFAULT_TARGETS)

    def show(ev: dict) -> None:
        if ev.get("stage") == "epoch":
            print(f"epoch {ev['epoch']}: train loss {ev['train_loss']:.4f}, val loss {ev['val_loss']:.4f}", flush=True)

    report = train_lora(args.train, args.val, args.out, settings, spec, resume=args.resume, progress=show)
    print(f"adapter written to {report.out_dir}/ ({report.train_records} clips, {report.seconds:.0f} s)")
    return 0


def cmd_make_dataset(args, settings: Settings) -> int:
    from modules.training import make_dataset

    try:
        split = tuple(float(x) for x in args.split.split(","))
    except ValueError:
        raise SceneFinderError(f"--split takes three fractions like 0.8,0.1,0.1 (got {args.split!r})")
    counts = make_dataset(settings, args.out, split)
    print(", ".join(f"{k} {v}" for k, v in counts.items()) + f" records in {args.out}/")
    return 0


def cmd_demo(args, settings: Settings) -> int:
    from modules.samples import make_demo_samples

    folder = make_demo_samples(args.samples)
    print(f"sample clips in {folder}/")
    args.paths = [folder]
    args.captions = False
    rc = cmd_ingest(args, settings)
    for q in ("the ticket office", "매표소가 오늘 문을 닫았대"):
        args.query, args.top_k, args.video, args.from_s, args.to_s, args.json = q, 3, None, None, None, False
        print(f"\n$ python main.py search {q!r}")
        cmd_search(args, settings)
    return rc


def cmd_app(args, settings: Settings) -> int:
    """Streamlit on ``--address`` (loopback by default), started from the project folder so that its
    settings (.streamlit/config.toml) apply wherever the command is run."""
    import os
    import subprocess

    if not 1 <= args.port <= 65535:
        raise SceneFinderError(f"--port must be between 1 and 65535 (got {args.port})")
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "SCENE_FINDER_DB_DIR": str(settings.db_dir.resolve())}  # the library this folder names
    cmd = [sys.executable, "-m", "streamlit", "run", str(root / "main.py"), "--server.address", args.address,
           "--server.port", str(args.port)]
    print(f"Scene Finder: http://{args.address}:{args.port}  (Ctrl+C stops it)", file=sys.stderr)
    return subprocess.run(cmd, cwd=root, env=env).returncode


COMMANDS = {
    "app": cmd_app,
    "ingest": cmd_ingest,
    "library": cmd_library,
    "remove": cmd_remove,
    "reindex": cmd_reindex,
    "search": cmd_search,
    "similar": cmd_similar,
    "timeline": cmd_timeline,
    "caption": cmd_caption,
    "train-lora": cmd_train_lora,
    "make-dataset": cmd_make_dataset,
    "models": cmd_models,
    "demo": cmd_demo,
}
