"""Command line for the database: migrate it, or say which revision it is at.

    python -m db upgrade [--url URL]    # create or migrate the schema (safe to repeat)
    python -m db current [--url URL]    # print the revision the database is at

Without --url the platform's own database is used (DATABASE_URL, else the SQLite
file in COURSE_DATA_DIR). Errors print one line and exit with status 1.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.engine import make_url


def _default_url() -> str:
    from config import get_settings  # only when needed: --url must work alone

    return get_settings().sqlalchemy_url


def _shown(url: str) -> str:
    """The URL as safe to print: any password masked."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_file_missing(url: str) -> bool:
    parsed = make_url(url)
    database = parsed.database or ""
    return (parsed.get_backend_name() == "sqlite" and database not in ("", ":memory:")
            and not Path(database).expanduser().exists())


def run(argv: list[str] | None = None) -> int:
    """Run one command; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m db", description="Course platform database.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("upgrade", "migrate the database to the newest schema"),
                            ("current", "print the revision the database is at")):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--url", help="SQLAlchemy URL (default: the platform settings)")
    args = parser.parse_args(argv)

    # Imported here so that `--help` answers without loading SQLAlchemy's ORM and Alembic.
    from db.engine import make_engine
    from db.migrate import current_revision, head_revision, upgrade

    try:
        url = args.url or _default_url()
        if args.command == "upgrade":
            upgrade(url)
            print(f"{_shown(url)}: at revision {head_revision()} (head)")
            return 0
        if _sqlite_file_missing(url):
            # Looking must not create an empty database file as a side effect.
            print(f"{_shown(url)}: no database yet; run `python -m db upgrade`")
            return 0
        engine = make_engine(url)
        try:
            revision = current_revision(engine)
        finally:
            engine.dispose()
        head = head_revision()
        state = ("head" if revision == head else "never migrated" if revision is None
                 else f"behind head {head}; run `python -m db upgrade`")
        print(f"{_shown(url)}: at revision {revision or 'none'} ({state})")
        return 0
    except Exception as exc:  # noqa: BLE001 - every failure becomes one readable line
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"error: {args.command} failed: {type(exc).__name__}: {message[:500]}{_hint(exc)}",
              file=sys.stderr)
        return 1


def _hint(exc: Exception) -> str:
    """What to do about the commonest failures, appended to the error line."""
    if isinstance(exc, ModuleNotFoundError):
        return " (install the database driver, e.g. `pip install psycopg` for PostgreSQL)"
    if type(exc).__name__ == "ArgumentError":
        return " (expected e.g. sqlite:///data/course.db or postgresql+psycopg://user@host/db)"
    if type(exc).__name__ == "OperationalError":
        return " (check that the database server runs and the URL, user and password are right)"
    return ""


if __name__ == "__main__":
    sys.exit(run())
