"""Commands around the library: models, caption, train-lora, make-dataset, demo, app."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from modules.errors import SceneFinderError
from modules.schema import mmss
from modules.settings import Settings

log = logging.getLogger("scene_finder")


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
    from modules.cli.library_commands import cmd_ingest
    from modules.cli.search_commands import cmd_search
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
    settings (.streamlit/config.toml) apply wherever the command is run. The command becomes the server
    (exec): a service manager's SIGTERM or Ctrl+C reaches Streamlit itself, and nothing is left running."""
    import os

    if not 1 <= args.port <= 65535:
        raise SceneFinderError(f"--port must be between 1 and 65535 (got {args.port})")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "SCENE_FINDER_DB_DIR": str(settings.db_dir.resolve())}  # the library this folder names
    cmd = [sys.executable, "-m", "streamlit", "run", str(root / "main.py"), "--server.address", args.address,
           "--server.port", str(args.port)]
    print(f"Scene Finder: http://{args.address}:{args.port}  (Ctrl+C stops it)", file=sys.stderr, flush=True)
    os.chdir(root)
    os.execve(sys.executable, cmd, env)
