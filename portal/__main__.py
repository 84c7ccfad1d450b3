"""Command line for admins: accounts and cohorts, on the database the settings name.

    python -m portal users import people.csv          # all or nothing; prints generated passwords
    python -m portal users add ada --name "Ada Lovelace" --role learner [--cohort "Spring 2026"] [--password P]
    python -m portal users reset-password ada [--password P]
    python -m portal users deactivate ada              # and `activate` to undo
    python -m portal users set-role ada lead
    python -m portal users list
    python -m portal cohorts create "Spring 2026" --track transformers --start 2026-03-02 \\
        [--pacing weekly|all-open] [--lead grace ...]
    python -m portal cohorts move ada "Spring 2026"
    python -m portal cohorts list
    python -m portal regrade stable-softmax [--cohort "Spring 2026"] [--force]   # after its tests changed
    python -m portal users export ada [FILE.zip]        # everything about ada (JSON + code)
    python -m portal users delete ada --confirm ada     # for good; prints what was removed
    python -m portal backup [PATH] [--keep N]          # consistent copy while the app runs
    python -m portal restore PATH [--force discard-current-data]

It acts as a built-in admin (whoever can run it can read the database file anyway). Errors are
one line on stderr and exit status 1.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from courseware.loader import ContentError, load_bank
from config import SettingsError, get_settings
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from db.models import PACINGS, USER_ROLES
from db.users import UserError
from portal import admin, backup, user_data
from portal.access import AccessDenied
from portal.auth import CurrentUser

CLI_ADMIN = CurrentUser(id=0, username="cli", display_name="command line", role="admin")
"""The viewer the CLI acts as; id 0 matches no account, so it can deactivate anyone."""

Sessions = sessionmaker[Session]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print rows under headers in columns at least two spaces apart."""
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def _print_created(created: Sequence[admin.CreatedUser]) -> None:
    print_table(["username", "name", "role", "cohort", "password"],
                [(c.username, c.name, c.role, c.cohort or "-", c.password or "(as given)") for c in created])


def _users_import(sessions: Sessions, args: argparse.Namespace) -> int:
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise admin.AdminError(f"{args.file} is not UTF-8 text; save it as 'CSV UTF-8' and try again") from None
    report = admin.import_users_csv(sessions, CLI_ADMIN, text)
    if not report.ok:
        print(f"error: {args.file}: nothing was created; fix these lines and import again:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    _print_created(report.created)
    print(f"{len(report.created)} account(s) created; hand each person their password.")
    return 0


def _users_add(sessions: Sessions, args: argparse.Namespace) -> int:
    _print_created([admin.create_user(sessions, CLI_ADMIN, username=args.username, name=args.name,
                                      role=args.role, password=args.password, cohort=args.cohort)])
    return 0


def _users_reset(sessions: Sessions, args: argparse.Namespace) -> int:
    password = admin.reset_password(sessions, CLI_ADMIN, args.username, args.password)
    print_table(["username", "password"], [(args.username.strip().lower(), password)])
    return 0


def _users_active(active: bool) -> Callable[[Sessions, argparse.Namespace], int]:
    def run(sessions: Sessions, args: argparse.Namespace) -> int:
        admin.set_active(sessions, CLI_ADMIN, args.username, active)
        print(f"{args.username}: {'activated' if active else 'deactivated'}")
        return 0
    return run


def _users_set_role(sessions: Sessions, args: argparse.Namespace) -> int:
    admin.set_role(sessions, CLI_ADMIN, args.username, args.role)
    print(f"{args.username}: role is now {args.role}")
    return 0


def _users_list(sessions: Sessions, args: argparse.Namespace) -> int:
    print_table(["username", "name", "role", "active", "cohorts"],
                [(u.username, u.name, u.role, "yes" if u.active else "no", ", ".join(u.cohorts) or "-")
                 for u in admin.list_users(sessions, CLI_ADMIN)])
    return 0


def _cohorts_create(sessions: Sessions, args: argparse.Namespace) -> int:
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        raise admin.AdminError(f"start date {args.start!r} is not a date; use YYYY-MM-DD") from None
    tracks = load_bank(get_settings().content_dir).tracks
    cohort_id = admin.create_cohort(sessions, CLI_ADMIN, name=args.name, track_id=args.track, start_date=start,
                                    pacing=args.pacing, leads=args.lead, known_tracks=tracks)
    print(f"cohort {args.name!r} created (id {cohort_id}), track {args.track}, starts {start:%A %d %B %Y}")
    return 0


def _cohorts_move(sessions: Sessions, args: argparse.Namespace) -> int:
    admin.move_learner(sessions, CLI_ADMIN, args.username, args.cohort)
    print(f"{args.username}: now learns in {args.cohort}")
    return 0


def _cohorts_list(sessions: Sessions, args: argparse.Namespace) -> int:
    print_table(["id", "name", "track", "start", "pacing", "leads", "learners"],
                [(c.id, c.name, c.track_id, c.start_date.isoformat(), c.pacing, ", ".join(c.leads) or "-",
                  c.learners) for c in admin.list_cohorts(sessions, CLI_ADMIN)])
    return 0


def _users_export(sessions: Sessions, args: argparse.Namespace) -> int:
    name, data = user_data.export_account(sessions, CLI_ADMIN, args.username)
    target = Path(args.file or name)
    if target.exists():
        raise admin.AdminError(f"{target} already exists; give another file name")
    target.write_bytes(data)
    print(f"{args.username}: everything exported to {target} ({len(data):,} bytes)")
    return 0


def _users_delete(sessions: Sessions, args: argparse.Namespace) -> int:
    if args.confirm is None or args.confirm.strip().lower() != args.username.strip().lower():
        raise admin.AdminError(f"deleting removes {args.username}'s account and all their work for good; "
                               f"repeat the username to confirm: --confirm {args.username}")
    removed = user_data.delete_user(sessions, CLI_ADMIN, args.username)
    print(f"{args.username}: deleted. Rows removed: " + ", ".join(f"{t} {n}" for t, n in removed.items()))
    return 0


def _backup(args: argparse.Namespace) -> int:
    settings = get_settings()
    folder, manifest = backup.backup(settings, Path(args.path) if args.path else None)
    print(f"backup of the {manifest.database} database (schema {manifest.schema_revision}) in {folder}: "
          f"{manifest.counts.get('submissions', 0):,} submissions, {manifest.size_bytes:,} bytes, "
          f"{manifest.seconds:.1f} s")
    if args.keep:
        removed = backup.prune(folder.parent, args.keep)
        print(f"kept the newest {args.keep} backup(s) in {folder.parent}; removed {len(removed)}")
    return 0


def _restore(args: argparse.Namespace) -> int:
    report = backup.restore(get_settings(), Path(args.path), force=args.force)
    print(f"restored {args.path} into {report.target}: schema {report.from_revision} → {report.to_revision}; "
          "row counts verified (" + ", ".join(f"{t} {n}" for t, n in report.counts.items() if n) + ")")
    return 0


def _regrade(sessions: Sessions, args: argparse.Namespace) -> int:
    from grading.service import GradingService
    from portal import regrade
    from portal.context import make_backend

    settings = get_settings()
    bank = load_bank(settings.content_dir)
    checker, backend = make_backend(settings, bank, sessions)
    try:
        report = regrade.regrade(sessions, bank, GradingService(sessions, bank, backend, settings.max_code_bytes),
                                 CLI_ADMIN, args.exercise, cohort=args.cohort, force=args.force)
        print(report.message)
        if report.queued and settings.checker_backend == "local":
            # The local pool lives in this process: grade here before exiting (the app's pool never sees them).
            print(f"grading {len(report.queued)} regrade(s) here (CHECKER_BACKEND=local)…", flush=True)
            backend.shutdown(wait=True)
            print_table(["learner", "was", "now", "status"],
                        [(o.username, "-" if o.was_score is None else f"{o.was_score:g}",
                          "-" if o.now_score is None else f"{o.now_score:g}", o.status)
                         for o in regrade.regrade_outcomes(sessions, CLI_ADMIN, report.queued)])
    finally:
        backend.shutdown(wait=True)
        checker.close()
    return 1 if report.problem else 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (each leaf command stores its handler as ``func``)."""
    parser = argparse.ArgumentParser(prog="python -m portal", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    groups = parser.add_subparsers(dest="group", required=True)
    u = groups.add_parser("users", help="add, import, reset and deactivate accounts").add_subparsers(
        dest="action", required=True)
    p = u.add_parser("import", help="create every account in a CSV file (all or nothing)")
    p.add_argument("file")
    p.set_defaults(func=_users_import)
    p = u.add_parser("add", help="create one account")
    p.add_argument("username")
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=USER_ROLES, default="learner")
    p.add_argument("--cohort", help="cohort name to join")
    p.add_argument("--password", help="default: generate a temporary one")
    p.set_defaults(func=_users_add)
    p = u.add_parser("reset-password", help="set a new (generated) password")
    p.add_argument("username")
    p.add_argument("--password", help="default: generate a temporary one")
    p.set_defaults(func=_users_reset)
    for action, active in (("deactivate", False), ("activate", True)):
        p = u.add_parser(action, help=f"{action} an account (its work stays)")
        p.add_argument("username")
        p.set_defaults(func=_users_active(active))
    p = u.add_parser("set-role", help="make an account a learner, lead or admin")
    p.add_argument("username")
    p.add_argument("role", choices=USER_ROLES)
    p.set_defaults(func=_users_set_role)
    u.add_parser("list", help="every account").set_defaults(func=_users_list)
    p = u.add_parser("export", help="everything about one account, as a ZIP of JSON and code files")
    p.add_argument("username")
    p.add_argument("file", nargs="?", help="default: course-data-<username>-<date>.zip here")
    p.set_defaults(func=_users_export)
    p = u.add_parser("delete", help="delete an account and all its work, for good")
    p.add_argument("username")
    p.add_argument("--confirm", metavar="USERNAME", help="the username again")
    p.set_defaults(func=_users_delete)
    p = groups.add_parser("backup", help="a consistent copy of the database, taken while the app runs")
    p.add_argument("path", nargs="?", help="a new folder (default: <data>/backups/backup-<time>)")
    p.add_argument("--keep", type=int, help="then delete all but the newest KEEP backups beside it")
    p.set_defaults(direct=_backup)
    p = groups.add_parser("restore", help="replace the database with a backup (refuses while it is in use)")
    p.add_argument("path", help="a backup folder (with manifest.json)")
    p.add_argument("--force", metavar="WORD", help=f"restore over a database in use: --force {backup.DISCARD_WORD}")
    p.set_defaults(direct=_restore)
    c = groups.add_parser("cohorts", help="create and list cohorts").add_subparsers(dest="action", required=True)
    p = c.add_parser("create", help="create a cohort of a track")
    p.add_argument("name")
    p.add_argument("--track", required=True)
    p.add_argument("--start", required=True, help="YYYY-MM-DD")
    p.add_argument("--pacing", choices=PACINGS, default="weekly")
    p.add_argument("--lead", action="append", default=[], help="username of a lead (repeatable)")
    p.set_defaults(func=_cohorts_create)
    p = c.add_parser("move", help="put a learner in a cohort (leaving their previous one)")
    p.add_argument("username")
    p.add_argument("cohort")
    p.set_defaults(func=_cohorts_move)
    c.add_parser("list", help="every cohort").set_defaults(func=_cohorts_list)
    p = groups.add_parser("regrade", help="re-run every learner's latest Submit of an exercise against its "
                                          "current tests (the old verdicts stay in the history)")
    p.add_argument("exercise", help="exercise id, e.g. stable-softmax")
    p.add_argument("--cohort", help="only this cohort's learners (cohort name)")
    p.add_argument("--force", action="store_true", help="also those graded against the current tests already")
    p.set_defaults(func=_regrade)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    engine = None
    try:
        if getattr(args, "direct", None) is not None:  # backup and restore open the database themselves
            return args.direct(args)
        engine = make_engine(get_settings().sqlalchemy_url)
        upgrade(engine)  # a fresh install can add its accounts before the app first starts
        return args.func(session_factory(engine), args)
    except (admin.AdminError, UserError, AccessDenied, ContentError, SettingsError, backup.BackupError,
            OSError) as exc:
        message = " ".join(str(exc).split())  # one line, even for multi-line content errors
        print(f"error: {message}", file=sys.stderr)
        return 1
    finally:
        if engine is not None:
            engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
