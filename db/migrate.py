"""Alembic migrations, driven from Python: no alembic.ini, the URL comes from the caller.

    python -m db upgrade            # what the app does on every start
    python -m db current

    from db.migrate import upgrade
    upgrade("sqlite:///data/course.db")

Concurrent starts are safe: the whole upgrade runs in one transaction that first
takes the database's write lock (SQLite ``BEGIN IMMEDIATE``, a PostgreSQL advisory
lock), so a second caller waits, then finds the schema at head and does nothing.
"""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

from db.engine import SQLITE_BEGIN_OPTION, make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Any fixed number works; it only has to be the same for every process of this app.
_PG_MIGRATION_LOCK = 7_482_901


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config for our migrations; env.py uses ``connection`` if given, else ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation would choke on a '%' in a URL-encoded password.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision the code knows about."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, f"no migrations found in {MIGRATIONS_DIR}"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine_or_url: Engine | str) -> None:
    """Bring the database to the head revision; a no-op when it is there already."""
    engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                # Take the write lock at BEGIN, before Alembic reads the version table:
                # a plain BEGIN would let two starts both see "no tables" and both create them.
                connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                                       {"key": _PG_MIGRATION_LOCK})
                # Alembic sees a transaction already open and runs inside it: all or nothing.
                command.upgrade(alembic_config(connection=connection), "head")
    finally:
        if isinstance(engine_or_url, str):
            engine.dispose()
