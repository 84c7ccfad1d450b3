"""Command line for content: the corpus and syllabus coverage. (Running every exercise through the
sandbox is ``python -m sandbox validate``: content knows nothing of the sandbox.)

    python -m courseware corpus fetch                 # download tiny Shakespeare (verified)
    python -m courseware corpus add FILE              # install a local copy instead
    python -m courseware coverage [TRACK…]            # each track against its syllabus; exit 1 below 100 %
    python -m courseware coverage TRACK --verbose     # every syllabus item, its id and what covers it
    python -m courseware models build [NAME…] [--force]   # the course's own pre-trained models and vectors
    python -m courseware models list                  # what is built, with its manifest's facts
"""
from __future__ import annotations

import argparse
import sys

from courseware import corpus, pretrained
from courseware.loader import ContentError, load_bank
from courseware.syllabus import SyllabusError
from config import SettingsError, get_settings


def _corpus(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.action == "fetch":
        path = corpus.fetch(settings.shakespeare_url, settings.data_dir)
    else:
        path = corpus.add_local(args.file, settings.data_dir)
    print(f"tiny Shakespeare installed at {path}")
    return 0


def _coverage(args: argparse.Namespace) -> int:
    """One headline per track that names a syllabus, its problems and uncovered items under it."""
    from courseware.coverage import report, track_coverage
    from courseware.syllabus import parse_syllabus, syllabus_path

    bank = load_bank(get_settings().content_dir)
    unknown = [t for t in args.tracks if t not in bank.tracks]
    if unknown:
        print(f"error: no track {', '.join(unknown)} (tracks: {', '.join(bank.tracks)})", file=sys.stderr)
        return 2
    complete = True
    for track in (bank.tracks[t] for t in (args.tracks or bank.tracks)):
        if track.syllabus is None:
            print(f"coverage {track.id}: names no syllabus (skipped)")
            continue
        text = syllabus_path(track.syllabus, args.syllabi).read_text(encoding="utf-8")
        result = track_coverage(track, parse_syllabus(text), text)
        print("\n".join(report(result, args.verbose)))
        complete &= result.complete
    return 0 if complete else 1


def _models(args: argparse.Namespace) -> int:
    settings = get_settings()
    if args.action == "build":
        pretrained.build(settings.data_dir, corpus.corpus_file(settings.data_dir), args.names or None,
                         force=args.force)
        return 0
    status = 0
    for name, artefact in pretrained.ARTEFACTS.items():
        problems = pretrained.verify(settings.data_dir, name)
        if problems:
            print(f"{name}: " + "; ".join(problems))
            status = 1
            continue
        folder = pretrained.installed(settings.data_dir, name)
        manifest = pretrained.read_manifest(folder)
        print(f"{name}: {folder} ({len(manifest['files'])} files, built in {manifest['build_seconds']} s): "
              f"{artefact.description}; {manifest['facts']}")
    return status


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
    v = sub.add_parser("coverage", help="check each track against its syllabus (../shared/syllabi)")
    v.add_argument("tracks", nargs="*", help="track ids (default: every track)")
    v.add_argument("--syllabi", type=Path, default=None, help="the syllabi folder (default: ../shared/syllabi)")
    v.add_argument("--verbose", action="store_true", help="list every item, its id and what covers it")
    v.set_defaults(func=_coverage)
    m = sub.add_parser("models", help="build or list the course's own pre-trained models and vectors")
    m.add_argument("action", choices=["build", "list"])
    m.add_argument("names", nargs="*", help=f"for `build`: only these ({', '.join(pretrained.ARTEFACTS)})")
    m.add_argument("--force", action="store_true", help="rebuild even when a current build is in place")
    m.set_defaults(func=_models)
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "add" and args.file is None:
        parser.error("`corpus add` needs the path of your tinyshakespeare.txt")
    try:
        return args.func(args)
    except (ContentError, SettingsError, corpus.CorpusError, SyllabusError, pretrained.PretrainedError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
