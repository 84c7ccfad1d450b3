"""Queue backends: how submission ids reach ``grade_submission``.

The local backend is a small pool of threads inside the app process. Each thread only
waits on a sandboxed subprocess, so the app process itself never imports torch. The
queue's durable state is the database (status ``queued``), so a restart loses nothing:
``recover()`` re-queues whatever was queued or running when the process stopped.
"""
from __future__ import annotations

import logging
import socket
import threading
from abc import ABC, abstractmethod
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from grading.jobs import JobContext, grade_submission
from db import submissions

log = logging.getLogger(__name__)


QUEUES = ("cpu", "gpu")


@dataclass(frozen=True)
class WorkerStatus:
    """One grading worker as the health page shows it."""

    name: str
    """host:pid (Celery) or host/local-pool (local backend)."""
    queues: tuple[str, ...]
    """Queues it consumes: ``cpu``, ``gpu`` or both."""
    slots: int
    """Submissions it grades at once."""
    has_gpu: bool


class QueueBackend(ABC):
    """Accepts submission ids whose rows are already committed as ``queued``."""

    @abstractmethod
    def enqueue(self, submission_id: int, queue: str = "cpu") -> None:
        """Schedule grading of one submission on ``queue`` (``cpu`` or ``gpu``); returns at once."""

    @abstractmethod
    def workers(self) -> list[WorkerStatus]:
        """Workers alive now (for the health page and for routing)."""

    def live_charts(self, submission_id: int) -> list[dict]:
        """Charts a running job published so far (``name``, ``kind``, ``payload`` rows)."""
        return []

    def gpu_available(self) -> bool:
        """Whether a worker with a GPU is alive, so ``gpu-preferred`` work may go to the gpu queue."""
        return any(w.has_gpu and "gpu" in w.queues for w in self.workers())

    @abstractmethod
    def shutdown(self, wait: bool = True) -> None:
        """Stop taking jobs (and wait for running ones when ``wait``)."""

    def recover(self) -> list[int]:
        """Re-queue submissions left queued or running by a previous process; returns their ids."""
        return []


class LocalPool(QueueBackend):
    """A thread pool of ``workers`` graders in this process."""

    def __init__(self, ctx: JobContext, workers: int = 2, has_gpu: bool = False) -> None:
        self.ctx = ctx
        self.slots = workers
        self.has_gpu = has_gpu
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grader")
        self._pending: set[Future] = set()
        self._lock = threading.Lock()

    def enqueue(self, submission_id: int, queue: str = "cpu") -> None:
        # One pool serves both queues: its engine runs every job on this machine's GPU if it has one.
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

    def live_charts(self, submission_id: int) -> list[dict]:
        return self.ctx.live.read(submission_id) if self.ctx.live is not None else []

    def workers(self) -> list[WorkerStatus]:
        alive = not self._pool._shutdown  # a shut-down pool grades nothing more
        queues = ("cpu", "gpu") if self.has_gpu else ("cpu",)
        return [WorkerStatus(f"{socket.gethostname()}/local-pool", queues, self.slots, self.has_gpu)] if alive else []

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
