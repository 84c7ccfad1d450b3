"""Wiring of one running platform: settings → database → content → checker → queue.

    ctx = build_context(get_settings())     # migrates the DB, loads content, starts the pool
    ctx.grading.submit(...)

The Streamlit app builds it once per process (``st.cache_resource``).
"""
from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from grading.jobs import JobContext
from grading.live import MemoryLiveBoard
from grading.queue import LocalPool, QueueBackend
from sandbox.engines import GradingEngine, make_grading_engine
from sandbox.gpu import find_gpu
from grading.service import GradingService
from courseware.corpus import corpus_file
from courseware.loader import ContentError, load_bank
from courseware.pretrained import BUILD_LOG, models_dir, start_background_build
from config import Settings
from courseware.spec import ContentBank
from db.engine import make_engine, session_factory
from db.in_use import hold_serving_lock
from db.migrate import upgrade
from portal.backup_schedule import BackupSchedule
from portal.pacing import PacingPolicy

log = logging.getLogger(__name__)


class ContentProblem(Exception):
    """The course content does not load; the message names each file and field to fix."""


@dataclass
class AppContext:
    """Long-lived objects of one platform process."""

    settings: Settings
    db_engine: Engine
    sessions: sessionmaker[Session]
    bank: ContentBank
    grading_engine: GradingEngine
    """What runs the tests (``sandbox``): the local engine, or ``RemoteWorkers`` under Celery."""
    backend: QueueBackend
    grading: GradingService
    recovered: list[int]
    """Submissions a previous process left unfinished, re-queued at start."""
    serving_lock: int | None = None
    """The in-use lock on an SQLite database (``db.in_use``): a restore refuses while it is held."""
    backups: BackupSchedule | None = None
    """Scheduled backups (BACKUP_EVERY_HOURS); None when off."""

    def close(self) -> None:
        """Stop the workers and release the database."""
        if self.backups is not None:
            self.backups.stop()
        self.backend.shutdown(wait=True)
        self.grading_engine.close()
        self.db_engine.dispose()
        if self.serving_lock is not None:
            os.close(self.serving_lock)
            self.serving_lock = None


def make_backend(settings: Settings, bank: ContentBank,
                 sessions: sessionmaker[Session]) -> tuple[GradingEngine, QueueBackend]:
    """The grading engine and queue of CHECKER_BACKEND: a local pool, or Celery workers elsewhere."""
    if settings.checker_backend == "celery":
        from grading.celery_queue import CeleryQueue, RemoteWorkers

        return RemoteWorkers(settings.broker_url), CeleryQueue(settings.broker_url, bank, sessions)
    checker = make_grading_engine(settings, gpu=find_gpu(settings.checker_gpu))
    has_gpu = getattr(checker, "gpu", None) is not None
    host = socket.gethostname()
    jobs = JobContext(bank, checker, sessions, worker=f"{host}:{os.getpid()}/local", live=MemoryLiveBoard())
    return checker, LocalPool(jobs, workers=settings.checker_workers, has_gpu=has_gpu,
                              long_slots=settings.checker_long_slots)


def build_context(settings: Settings, *, recover: bool = True) -> AppContext:
    """Migrate, load and start everything; errors say which setting or file to fix."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    serving_lock = hold_serving_lock(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    if engine.dialect.name == "sqlite":
        # Gives the query planner statistics for the big tables (cheap when nothing changed).
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA optimize")
    sessions = session_factory(engine)
    try:
        bank = load_bank(settings.content_dir)
    except ContentError as exc:
        raise ContentProblem(str(exc)) from exc
    if settings.models_autobuild:
        builder = start_background_build(settings.data_dir, corpus_file(settings.data_dir))
        if builder is not None:
            log.info("building the course's pre-trained models in the background (pid %d, log in %s)",
                     builder.pid, models_dir(settings.data_dir) / BUILD_LOG)
    checker, backend = make_backend(settings, bank, sessions)
    grading = GradingService(sessions, bank, backend, settings.max_code_bytes, policy=PacingPolicy(bank))
    recovered = backend.recover() if recover else []
    if recovered:
        log.info("re-queued %d unfinished submission(s)", len(recovered))
    backups = BackupSchedule.start(settings) if settings.backup_every_hours else None
    return AppContext(settings, engine, sessions, bank, checker, backend, grading, recovered,
                      serving_lock=serving_lock, backups=backups)
