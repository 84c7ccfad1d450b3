"""Command line for content authors and operators.

    python -m courseware validate [EXERCISE_ID ...]   # load all content, run every exercise
    python -m courseware corpus fetch                 # download tiny Shakespeare (verified)
    python -m courseware corpus add FILE              # install a local copy instead
"""
from __future__ import annotations

import argparse
import sys
import time

from courseware import corpus
from courseware.loader import ContentError, load_bank
from courseware.settings import SettingsError, get_settings


def _validate(args: argparse.Namespace) -> int:
    settings = get_settings()
    bank = load_bank(settings.content_dir)
    print(f"content: {len(bank.tracks)} track(s), {len(bank.lessons)} lesson(s), "
          f"{len(bank.exercises)} exercise(s) loaded and cross-checked")
    unknown = [i for i in args.ids if i not in bank.exercises]
    if unknown:
        print(f"error: no exercise named {', '.join(unknown)}", file=sys.stderr)
        return 1
    from checker.engines import make_grading_engine  # only validation needs the sandbox

    checker = make_grading_engine(settings)
    specs = [bank.exercises[i] for i in (args.ids or sorted(bank.exercises))]
    start = time.monotonic()
    from courseware.validate import mutation_summary, mutation_table, validate_all

    try:
        results = validate_all(checker, specs, workers=settings.checker_workers)
    finally:
        checker.close()
    for r in results:
        mark = "ok  " if r.ok else "FAIL"
        print(f"{mark} {r.exercise_id:40s} solution {r.solution_summary:14s} starter {r.starter_summary:14s} "
              f"{r.seconds:5.1f}s")
        for p in r.problems:
            print(f"     - {p}")
    bad = sum(not r.ok for r in results)
    print(f"{len(results) - bad} of {len(results)} exercises valid in {time.monotonic() - start:.1f}s")
    print()
    print("\n".join(mutation_table(results)))
    print(mutation_summary(results))
    return 1 if bad else 0


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
    v = sub.add_parser("validate", help="check all content and run every exercise through the checker")
    v.add_argument("ids", nargs="*", help="only these exercises")
    v.set_defaults(func=_validate)
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
