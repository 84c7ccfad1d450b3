"""Which processes serve a database, so that a restore can refuse to pull it from under them.

An app or worker process on an SQLite file holds a shared ``flock`` on ``<file>.in-use`` for as
long as it runs (the kernel drops it when the process dies, however it dies); a restore asks for
the exclusive lock without waiting. On PostgreSQL the server itself knows who is connected.

    fd = hold_serving_lock(url)        # at start; os.close(fd) at shutdown
    who = users_of(url)                # None, or words saying who is using it
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from db.engine import make_engine


def sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


def lock_path(url: str) -> Path | None:
    """``<file>.in-use`` beside an SQLite database; None where the server tracks its clients."""
    path = sqlite_file(url)
    return None if path is None else path.with_name(path.name + ".in-use")


def hold_serving_lock(url: str) -> int | None:
    """Take the shared in-use lock for this process; returns the descriptor to close at shutdown."""
    path = lock_path(url)
    if path is None:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    return fd


def users_of(url: str) -> str | None:
    """Who else is using the database, in words; None when nobody is."""
    if make_url(url).get_backend_name() == "sqlite":
        path = lock_path(url)
        if path is None or not path.exists():
            return None
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None
        except BlockingIOError:
            return "an app or worker process is serving it"
        finally:
            os.close(fd)  # also releases the exclusive lock if it was granted
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            others = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                       "AND pid <> pg_backend_pid()")).scalar_one()
    finally:
        engine.dispose()
    return f"{others} other connection(s) are open on it" if others else None
