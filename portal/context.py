"""Wiring of one running platform: settings → database → content → checker → queue.

    ctx = build_context(get_settings())     # migrates the DB, loads content, starts the pool
    ctx.grading.submit(...)

The Streamlit app builds it once per process (``st.cache_resource``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from checker.jobs import JobContext
from checker.queue import LocalPool, QueueBackend
from checker.engines import GradingEngine, make_grading_engine
from checker.service import GradingService
from courseware.loader import load_bank
from courseware.settings import Settings
from courseware.spec import ContentBank
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal.pacing import PacingPolicy

log = logging.getLogger(__name__)


@dataclass
class AppContext:
    """Long-lived objects of one platform process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bank: ContentBank
    checker: GradingEngine
    backend: QueueBackend
    grading: GradingService
    recovered: list[int]
    """Submissions a previous process left unfinished, re-queued at start."""

    def close(self) -> None:
        """Stop the workers and release the database."""
        self.backend.shutdown(wait=True)
        self.checker.close()
        self.engine.dispose()


def build_context(settings: Settings, *, recover: bool = True) -> AppContext:
    """Migrate, load and start everything; errors say which setting or file to fix."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    if engine.dialect.name == "sqlite":
        # Gives the query planner statistics for the big tables (cheap when nothing changed).
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA optimize")
    sessions = session_factory(engine)
    bank = load_bank(settings.content_dir)
    checker = make_grading_engine(settings)
    backend = LocalPool(JobContext(bank, checker, sessions), workers=settings.checker_workers)
    grading = GradingService(sessions, bank, backend, settings.max_code_bytes, policy=PacingPolicy(bank))
    recovered = backend.recover() if recover else []
    if recovered:
        log.info("re-queued %d unfinished submission(s)", len(recovered))
    return AppContext(settings, engine, sessions, bank, checker, backend, grading, recovered)
