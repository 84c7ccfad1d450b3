"""Queue backends: how submission ids reach ``grade_submission``.

The local backend is a small pool of threads inside the app process. Each thread only
waits on a sandboxed subprocess, so the app process itself never imports torch. The
queue's durable state is the database (status ``queued``), so a restart loses nothing:
``recover()`` re-queues whatever was queued or running when the process stopped.
"""
from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor

from checker.jobs import JobContext, grade_submission
from db import submissions

log = logging.getLogger(__name__)


class QueueBackend(ABC):
    """Accepts submission ids whose rows are already committed as ``queued``."""

    @abstractmethod
    def enqueue(self, submission_id: int) -> None:
        """Schedule grading of one submission; returns at once."""

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs (and wait for running ones when ``wait``)."""

    def recover(self) -> list[int]:
        """Re-queue submissions left queued or running by a previous process; returns their ids."""
        return []


class LocalPool(QueueBackend):
    """A thread pool of ``workers`` graders in this process."""

    def __init__(self, ctx: JobContext, workers: int = 2) -> None:
        self.ctx = ctx
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def enqueue(self, submission_id: int) -> None:
        future = self._pool.submit(self._job, submission_id)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _job(self, submission_id: int) -> str | None:
        try:
            return grade_submission(self.ctx, submission_id)
        except Exception:
            log.exception("job for submission %s crashed", submission_id)
            raise

    def _done(self, future: Future) -> None:
        with self._lock:
            self._pending.discard(future)

    def pending(self) -> int:
        """Jobs queued or running in this pool."""
        with self._lock:
            return len(self._pending)

    def recover(self) -> list[int]:
        with self.ctx.sessions() as session:
            ids = submissions.requeue_running(session)
            session.commit()
        for submission_id in ids:
            self.enqueue(submission_id)
        return ids

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
