"""Commands that search: search (with --export), similar."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

from modules.errors import SceneFinderError
from modules.export import one_line
from modules.settings import Settings


def cmd_search(args, settings: Settings) -> int:
    export_to = getattr(args, "export", None)
    margin = getattr(args, "margin", 1.0)
    if export_to is not None and not (math.isfinite(margin) and 0 <= margin <= 60):
        raise SceneFinderError(f"--margin must be between 0 and 60 seconds (got {margin})")
    if export_to is not None and _inside_folder(export_to, settings.db_dir):
        raise SceneFinderError(f"--export {export_to} is inside the library folder {settings.db_dir}/; "
                               f"export to a folder of its own, e.g. --export exports/")
    result = _search(args, settings)
    if args.json:
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_table(result))
    if export_to is not None:
        return _export(result, export_to, margin, not args.no_clips, settings)
    return 0


def _search(args, settings: Settings):
    """The search a command asked for; the request and the library are checked before any model loads."""
    from modules.pictures import read_picture
    from modules.search import Searcher, validate_request
    from modules.store import Library

    face = getattr(args, "face", None)
    if face is None or args.query:
        validate_request(args.query, args.top_k or settings.top_k, args.from_s, args.to_s)
    Library.open(settings.db_dir).close()  # so is a missing library
    photo = read_picture(face) if face is not None else None  # bounded before it is decoded
    searcher = Searcher(settings)
    try:
        return searcher.search(args.query, args.top_k, args.video, args.from_s, args.to_s, face=photo,
                               face_index=getattr(args, "face_index", None))
    finally:
        searcher.close()


def _inside_folder(path: Path, folder: Path) -> bool:
    try:
        real, root = Path(path).expanduser().resolve(), Path(folder).expanduser().resolve()
    except (OSError, RuntimeError):
        return False
    return real == root or real.is_relative_to(root)


def _export(result, folder: Path, margin: float, clips: bool, settings: Settings) -> int:
    """Exit status: 1 only when clips were asked for and none could be cut."""
    from modules.export import export, moments
    from modules.store import Library

    if not result.hits:
        print("nothing to export: the search found nothing", file=sys.stderr)
        return 0
    with Library.open(settings.db_dir) as lib:
        items = moments(result.hits, lib, margin)
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
    from modules.store import Library
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
