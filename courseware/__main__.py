"""Command line for content: the corpus. (Running every exercise through the sandbox is
``python -m sandbox validate``: content knows nothing of the sandbox.)

    python -m courseware corpus fetch                 # download tiny Shakespeare (verified)
    python -m courseware corpus add FILE              # install a local copy instead
"""
from __future__ import annotations

import argparse
import sys

from courseware import corpus
from courseware.loader import ContentError, load_bank
from config import SettingsError, get_settings


def _corpus(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.action == "fetch":
        path = corpus.fetch(settings.shakespeare_url, settings.data_dir)
    else:
        path = corpus.add_local(args.file, settings.data_dir)
    print(f"tiny Shakespeare installed at {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m courseware", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("corpus", help="install tiny Shakespeare")
    c.add_argument("action", choices=["fetch", "add"])
    c.add_argument("file", nargs="?", type=Path, help="for `add`: the local file")
    c.set_defaults(func=_corpus)
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "add" and args.file is None:
        parser.error("`corpus add` needs the path of your tinyshakespeare.txt")
    try:
        return args.func(args)
    except (ContentError, SettingsError, corpus.CorpusError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
