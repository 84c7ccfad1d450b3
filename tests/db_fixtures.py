"""Fixtures for the db tests: a real SQLite file in tmp_path (or a PostgreSQL database under
``--database=postgresql``), migrated through db.migrate.

Loaded for every test as a plugin (``pytest_plugins`` in conftest.py): a test names the one it uses.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, session_factory
from db.migrate import upgrade
from db.users import create_user
from postgres_server import database_url_for


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """URL of an empty database: a SQLite file that does not exist yet, in a folder that does
    not exist yet, or under ``--database=postgresql`` a new database on the test server."""
    return database_url_for(tmp_path / "data") or f"sqlite:///{tmp_path / 'data' / 'course.db'}"


@pytest.fixture
def db_engine(db_url: str) -> Iterator[Engine]:
    """An engine on a freshly migrated database file."""
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def db_sessions(db_engine: Engine) -> sessionmaker[Session]:
    """The session factory the app would use."""
    return session_factory(db_engine)


@pytest.fixture
def db_session(db_sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One session, closed after the test."""
    with db_sessions() as session:
        yield session


@pytest.fixture
def learner_id(db_session: Session) -> int:
    """Id of a committed learner account ``ada``."""
    user = create_user(db_session, "ada", "correct horse")
    db_session.commit()
    return user.id
