"""The distributed queue: Celery on a Redis broker (``CHECKER_BACKEND=celery``).

The app only sends messages (``checker.grade`` with a submission id, on queue ``cpu`` or
``gpu``); grading happens in worker processes started with ``python -m grading.worker``,
on this machine or others, which run the same ``grade_submission`` as the local pool.
Results are written to the database by the worker, never carried back through Celery.

Delivery settings and why:

- ``task_acks_late``: a message is acknowledged after its job finished, so a worker that
  dies mid-job leaves it for another (with the sweep in ``grading.worker_registry``);
- ``worker_prefetch_multiplier=1``: a worker holds no more jobs than it is grading, so one
  slow GPT run does not strand short jobs behind it;
- the broker's visibility timeout is longer than the longest exercise's time limit (plus
  start-up and storage), so a job still running is never handed to a second worker by the
  broker; if that ever happens, the atomic claim makes the second delivery a no-op.
"""
from __future__ import annotations

import logging
from typing import Callable

import redis
from celery import Celery
from kombu import Queue
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from grading.live import RedisLiveBoard
from grading.queue import QUEUES, QueueBackend, WorkerStatus
from grading.worker_registry import alive_workers
from courseware.spec import ContentBank, ExerciseSpec
from db.models import Submission
from sandbox.result import Artifact, CheckResult

log = logging.getLogger(__name__)
TASK_NAME = "checker.grade"


def visibility_timeout_s(bank: ContentBank) -> int:
    """Seconds the broker waits before re-delivering an unacknowledged job: the longest exercise, with room."""
    longest = max((spec.limits.time_s for spec in bank.exercises.values()), default=60)
    return int(longest * 2 + 120)


def make_celery(broker_url: str, bank: ContentBank) -> Celery:
    """The Celery application the app and the workers share (no result backend: results go to the database)."""
    app = Celery("course-checker", broker=broker_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="cpu",
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        # A page waits on publishing: give up within seconds and say so, rather than hang.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0, "interval_step": 0.5,
                                   "interval_max": 1},
        broker_connection_timeout=2,
        broker_transport_options={"visibility_timeout": visibility_timeout_s(bank)},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


class CeleryQueue(QueueBackend):
    """The app's side of the Celery backend: sends jobs, reads who is alive from Redis."""

    def __init__(self, broker_url: str, bank: ContentBank, sessions: sessionmaker[Session]) -> None:
        self.celery = make_celery(broker_url, bank)
        self.sessions = sessions
        self._redis = redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)

    def enqueue(self, submission_id: int, queue: str = "cpu", owner: int | None = None) -> None:
        # ``owner`` travels in the database: a worker does not start a learner's job while another
        # of theirs runs in the same queue (``grading.worker``).
        if queue not in QUEUES:
            raise ValueError(f"queue {queue!r} is not one of {QUEUES}")
        self.celery.send_task(TASK_NAME, args=[submission_id], queue=queue)

    def live_charts(self, submission_id: int) -> list[dict]:
        try:
            return RedisLiveBoard(self._redis).read(submission_id)
        except redis.RedisError:
            return []

    def workers(self) -> list[WorkerStatus]:
        try:
            return alive_workers(self._redis)
        except Exception as exc:  # the health page and routing must survive a broker outage
            log.warning("cannot read worker heartbeats from the broker: %s", exc)
            return []

    def recover(self) -> list[int]:
        """Send again every queued submission (a lost message would otherwise strand it; repeats are no-ops)."""
        with self.sessions() as session:
            rows = session.execute(select(Submission.id, Submission.queue).where(Submission.status == "queued")
                                   .order_by(Submission.id)).all()
        gpu = self.gpu_available()
        try:
            for submission_id, queue in rows:
                self.enqueue(submission_id, queue if queue == "long" or (queue == "gpu" and gpu) else "cpu")
        except Exception as exc:  # the app must start while the broker is down; workers sweep later
            log.warning("could not re-send queued submissions (broker unreachable: %s); they wait in the "
                        "database until the app restarts with the broker up", exc)
            return []
        return [r[0] for r in rows]

    def shutdown(self, wait: bool = True) -> None:
        self.celery.close()


class RemoteWorkers:
    """Stands in for the grading engine in an app whose jobs are graded by Celery workers."""

    def __init__(self, broker_url: str) -> None:
        self.broker_url = broker_url

    def check(self, spec: ExerciseSpec, code: str, mode: str, inputs: dict[str, str] | None = None,
              on_live: Callable[[list[Artifact]], None] | None = None) -> CheckResult:
        """Never called: with Celery the workers grade, each with its own engine."""
        raise RuntimeError("CHECKER_BACKEND=celery: grading runs on the workers (python -m grading.worker)")

    def close(self) -> None:
        """Nothing runs in this process."""

    def describe(self) -> str:
        """Where grading happens; each worker logs its own protections when it starts."""
        host = self.broker_url.split("@")[-1]
        return (f"engine: Celery workers through the broker at {host}\n"
                "each worker logs its sandbox protections at start-up (python -m grading.worker)")
