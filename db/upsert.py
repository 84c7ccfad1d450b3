"""INSERT ... ON CONFLICT for the two databases we run on, SQLite and PostgreSQL.

An upsert is one statement, so two requests racing to create the same row (two
tabs marking a lesson done, two workers finishing submits) cannot both insert and
hit the unique constraint, which check-then-insert would.

    stmt = insert_for(session, Enrollment).values(user_id=1, track_id="gpt")
    session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "track_id"]))
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, model: type[Any]) -> Any:
    """A dialect INSERT for ``model`` that has ``on_conflict_do_*`` (SQLite or PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "sqlite":
        return sqlite.insert(model)
    if name == "postgresql":
        return postgresql.insert(model)
    raise NotImplementedError(f"database {name!r} is not supported: use SQLite or PostgreSQL")
