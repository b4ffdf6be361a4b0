"""The command line: ``python main.py COMMAND ...``.

Arguments are checked before any model loads; errors print one clear line
(no traceback) and exit non-zero; a failing file in a batch is reported and
the batch goes on. ``parser.py`` declares the commands; each is a ``cmd_*``
function in ``library_commands.py``, ``search_commands.py`` or ``other_commands.py``.
"""

from __future__ import annotations

import argparse
import logging
import sys

from modules.cli.library_commands import cmd_ingest, cmd_library, cmd_reindex, cmd_remove, cmd_timeline
from modules.cli.other_commands import cmd_app, cmd_caption, cmd_demo, cmd_make_dataset, cmd_models, cmd_train_lora
from modules.cli.parser import build_parser
from modules.cli.people_commands import cmd_people
from modules.cli.search_commands import cmd_search, cmd_similar
from modules.errors import USER_ERRORS
from modules.settings import FLAGS, Settings

log = logging.getLogger("scene_finder")


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
    "people": cmd_people,
    "train-lora": cmd_train_lora,
    "make-dataset": cmd_make_dataset,
    "models": cmd_models,
    "demo": cmd_demo,
}
