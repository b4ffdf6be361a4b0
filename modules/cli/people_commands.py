"""people: the persons whose faces the library holds; name one, join two."""

from __future__ import annotations

import json
from modules.errors import SceneFinderError
from modules.settings import Settings


def cmd_people(args, settings: Settings) -> int:
    from modules.people import group_people
    from modules.store import Library

    with Library.open(settings.db_dir, writable=args.action != "list" or not args.no_group) as lib:
        if args.action == "name":
            if not args.ids:
                raise SceneFinderError('give a person and a name: python main.py people name ID "이름"')
            name = " ".join(args.ids[1:]).strip()
            if not name:
                raise SceneFinderError('give a name: python main.py people name ID "이름"')
            lib.name_person(_known(lib, args.ids[0]), name)
            print(f"person {args.ids[0]} is now {name}")
            return 0
        if args.action == "merge":
            if len(args.ids) != 2:
                raise SceneFinderError("give two people: python main.py people merge KEEP OTHER")
            keep, gone = _known(lib, args.ids[0]), _known(lib, args.ids[1])
            if keep == gone:
                raise SceneFinderError("those are the same person")
            lib.merge_people(keep, gone)
            print(f"person {gone} joined person {keep}")
            return 0
        if not args.no_group:
            counts = group_people(lib)
            if counts["tracks grouped"]:
                print(f"grouped {counts['tracks grouped']} new face track(s); {counts['new people']} new person(s)")
        people = lib.people()
    if args.crops:
        args.crops.mkdir(parents=True, exist_ok=True)
        for p in people:
            (args.crops / f"person_{p['id']}.jpg").write_bytes(p["crop"])
    if args.json:
        print(json.dumps([{k: v for k, v in p.items() if k != "crop"} for p in people], ensure_ascii=False, indent=2))
    elif not people:
        print("no faces in this library yet (ingest with the faces channel on, or: python main.py reindex --faces)")
    else:
        print(f"{'id':>4}  {'name':20} {'shots':>6} {'videos':>6}")
        for p in people:
            print(f"{p['id']:>4}  {(p['name'] or '-')[:20]:20} {p['shots']:>6} {p['videos']:>6}")
    return 0


def _known(lib, ref: str) -> int:
    if not str(ref).isdigit() or lib.person(int(ref)) is None:
        raise SceneFinderError(f"no person {ref!r} in the library; see: python main.py people")
    return int(ref)

