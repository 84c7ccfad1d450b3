"""Run every exercise through the real sandbox: reference, starter, mutants and variants.

    python -m sandbox validate [EXERCISE_ID ...]   # load all content, then run every exercise
"""
from __future__ import annotations

import argparse
import sys
import time

from courseware import pretrained
from courseware.corpus import corpus_file
from courseware.loader import ContentError, load_bank
from config import SettingsError, get_settings
from sandbox.engines import make_grading_engine
from sandbox.validate import mutation_summary, mutation_table, validate_all


def validate(args: argparse.Namespace) -> int:
    """Load and cross-check all content, then prove each exercise; returns the exit status."""
    settings = get_settings()
    bank = load_bank(settings.content_dir)
    print(f"content: {len(bank.tracks)} track(s), {len(bank.lessons)} lesson(s), "
          f"{len(bank.exercises)} exercise(s) loaded and cross-checked")
    unknown = [i for i in args.ids if i not in bank.exercises]
    if unknown:
        print(f"error: no exercise named {', '.join(unknown)}", file=sys.stderr)
        return 1
    specs = [bank.exercises[i] for i in (args.ids or sorted(bank.exercises))]
    # First need: the pre-trained artefacts these exercises read are built now if missing.
    needed = sorted({d for s in specs for d in s.datasets if d in pretrained.ARTEFACTS})
    pretrained.build(settings.data_dir, corpus_file(settings.data_dir), needed)
    checker = make_grading_engine(settings)
    start = time.monotonic()
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



def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check all content and run every exercise through the sandbox")
    v.add_argument("ids", nargs="*", help="only these exercises")
    v.set_defaults(func=validate)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (ContentError, SettingsError, pretrained.PretrainedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
