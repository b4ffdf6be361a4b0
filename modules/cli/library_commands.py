"""Commands on the library: ingest, library, remove, reindex, timeline."""

from __future__ import annotations

import json
import sys

from modules.errors import SceneFinderError
from modules.schema import mmss
from modules.settings import Settings
from modules.cli.progress import TqdmProgress


def cmd_ingest(args, settings: Settings) -> int:
    from modules.ingest import ingest

    captions = bool(getattr(args, "captions", False))
    progress = TqdmProgress(show=True)
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
    from modules.store import Library

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
                  f"{r['n_dialogue']:>6}  {r['language'] or '-'}")
        m = lib.manifest.data.get("channels", {})
        print("models: " + ", ".join(f"{ch}={(c.get('model') or 'off')}" for ch, c in m.items()))
    return 0


def cmd_remove(args, settings: Settings) -> int:
    from modules.store import Library

    with Library.open(settings.db_dir, writable=True) as lib:
        matches = lib.videos_matching(args.video)
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
    from modules.channels import FACES, SCREEN
    from modules.reindex import read_channel, reindex

    if args.ocr or getattr(args, "faces", False):
        from tqdm import tqdm

        channel = SCREEN if args.ocr else FACES
        bar = tqdm(unit="video", desc=channel.label)

        def show(done: int, total: int, name: str) -> None:
            bar.total = total
            bar.set_postfix_str(name[:30])
            bar.update(done - bar.n)

        counts = read_channel(settings, channel, progress=show)
        bar.close()
        print("read: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        return 0
    counts = reindex(settings, text_only=args.text)
    print("re-embedded: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def cmd_timeline(args, settings: Settings) -> int:
    from modules.store import Library

    with Library.open(settings.db_dir) as lib:
        rows = lib.videos_matching(args.video)
        if len(rows) != 1:
            listing = "; ".join(f"#{r['id']} {r['path']}" for r in rows)
            raise SceneFinderError(f"{args.video!r} names {len(rows)} videos{' (' + listing + ')' if rows else ''}; "
                                   f"give one id (see: python main.py library)")
        video = lib.describe(rows[0]["id"])
        shots = lib.timeline(rows[0]["id"])
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
