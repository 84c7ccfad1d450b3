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
from dataclasses import dataclass

from sqlalchemy import select

from db import submissions
from db.models import Submission
from grading.jobs import JobContext, grade_submission
from grading.lanes import GPU, LANES, LONG, SHORT, Waiting, next_job, slot_lanes

log = logging.getLogger(__name__)


QUEUES = LANES
"""The queues work is sent to: one per lane (``grading.lanes``)."""


@dataclass(frozen=True)
class WorkerStatus:
    """One grading worker as the health page shows it."""

    name: str
    """host:pid (Celery) or host/local-pool (local backend)."""
    queues: tuple[str, ...]
    """Queues (lanes) it consumes: ``cpu``, ``long``, ``gpu``."""
    slots: int
    """Submissions it grades at once."""
    has_gpu: bool


class QueueBackend(ABC):
    """Accepts submission ids whose rows are already committed as ``queued``."""

    @abstractmethod
    def enqueue(self, submission_id: int, queue: str = "cpu", owner: int | None = None) -> None:
        """Schedule grading of one submission on ``queue`` (a lane: ``cpu``, ``long`` or ``gpu``) for
        learner ``owner``; returns at once."""

    def lane_slots(self, lane: str) -> int:
        """Slots that may run work of ``lane`` now (for wait estimates)."""
        return sum(w.slots for w in self.workers() if lane in w.queues)

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
    """``workers`` grading threads in this process, in lanes (``grading.lanes``): the last
    ``long_slots`` threads take any job, the others short work only; a learner has at most one
    job running per lane, and otherwise jobs start oldest first."""

    def __init__(self, ctx: JobContext, workers: int = 2, has_gpu: bool = False, long_slots: int = 1) -> None:
        self.ctx = ctx
        self.slots = workers
        self.has_gpu = has_gpu
        self.lanes = slot_lanes(workers, long_slots)
        self._waiting: list[Waiting] = []
        self._running: dict[tuple[str, int], int] = {}
        self._busy = 0
        self._closed = False
        self._changed = threading.Condition()
        self._threads = [threading.Thread(target=self._serve, args=(lanes,), name=f"grader-{i}", daemon=True)
                         for i, lanes in enumerate(self.lanes)]
        for thread in self._threads:
            thread.start()

    def enqueue(self, submission_id: int, queue: str = "cpu", owner: int | None = None) -> None:
        # One pool serves every queue: its engine runs gpu jobs on this machine's GPU if it has one.
        with self._changed:
            if self._closed:
                raise RuntimeError("the grading pool is shut down")
            self._waiting.append(Waiting(submission_id, queue if queue in LANES else SHORT, owner))
            self._changed.notify_all()

    def _serve(self, lanes: frozenset[str]) -> None:
        while True:
            with self._changed:
                while (job := next_job(self._waiting, lanes, self._running)) is None:
                    if self._closed and not any(w.lane in lanes for w in self._waiting):
                        return
                    self._changed.wait()
                self._waiting.remove(job)
                key = (job.lane, job.owner) if job.owner is not None else None
                if key is not None:
                    self._running[key] = self._running.get(key, 0) + 1
                self._busy += 1
            try:
                grade_submission(self.ctx, job.submission_id)
            except Exception:
                log.exception("job for submission %s crashed", job.submission_id)
            finally:
                with self._changed:
                    self._busy -= 1
                    if key is not None:
                        self._running[key] -= 1
                        if not self._running[key]:
                            del self._running[key]
                    self._changed.notify_all()

    def lane_slots(self, lane: str) -> int:
        return sum(lane in lanes for lanes in self.lanes)

    def live_charts(self, submission_id: int) -> list[dict]:
        return self.ctx.live.read(submission_id) if self.ctx.live is not None else []

    def workers(self) -> list[WorkerStatus]:
        if self._closed:  # a shut-down pool grades nothing more
            return []
        queues = (SHORT, LONG, GPU) if self.has_gpu else (SHORT, LONG)
        return [WorkerStatus(f"{socket.gethostname()}/local-pool", queues, self.slots, self.has_gpu)]

    def pending(self) -> int:
        """Jobs queued or running in this pool."""
        with self._changed:
            return len(self._waiting) + self._busy

    def recover(self) -> list[int]:
        with self.ctx.sessions() as session:
            ids = submissions.requeue_running(session)
            session.commit()
            rows = dict(session.execute(select(Submission.id, Submission.queue).where(Submission.id.in_(ids))).all()) \
                if ids else {}
        for submission_id in ids:
            self.enqueue(submission_id, rows.get(submission_id) or SHORT)
        return ids

    def shutdown(self, wait: bool = True) -> None:
        with self._changed:
            self._closed = True
            if not wait:  # what waits stays queued in the database; ``recover`` finds it on the next start
                self._waiting.clear()
            self._changed.notify_all()
        if wait:  # every job already handed in is graded first
            for thread in self._threads:
                thread.join()
