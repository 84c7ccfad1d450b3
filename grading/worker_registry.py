"""Which Celery workers are alive, and recovery of the work of those that died.

Every worker writes a heartbeat into one Redis hash every few seconds; the app reads it to
show workers on the health page and to decide whether ``gpu-preferred`` work may go to the
``gpu`` queue. Every worker also sweeps for the work of dead ones:

- a submission ``running`` on a worker with no fresh heartbeat goes back to ``queued`` and
  its job is sent again (the dead worker's own message comes back only after the broker's
  visibility timeout, which must exceed the longest exercise);
- when a worker's heartbeat goes stale, the ``queued`` submissions older than its last beat
  are sent again too, since some may have been prefetched by it;
- ``gpu`` work waiting while no GPU worker is alive is moved to ``cpu`` (its CPU profile).

Sending a job twice is harmless: a worker claims a submission with an atomic
``queued → running`` update and stores a result only while it is unfinished, so every
verdict lands exactly once however often its message arrives.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from grading.queue import WorkerStatus
from db.models import Submission

log = logging.getLogger(__name__)
REGISTRY_KEY = "course-checker:workers"
HEARTBEAT_S = 2.0
STALE_AFTER_S = 8.0
"""A worker whose last beat is older than this is dead (four missed beats)."""

Resend = Callable[[int, str], None]
"""Sends the job of one submission id to a queue again."""


def beat(redis, status: WorkerStatus, now: float | None = None) -> None:
    """Record that ``status.name`` is alive now."""
    record = asdict(status) | {"last_seen": time.time() if now is None else now}
    redis.hset(REGISTRY_KEY, status.name, json.dumps(record))


def leave(redis, name: str) -> None:
    """Remove a worker that stops cleanly (it finished its jobs first)."""
    redis.hdel(REGISTRY_KEY, name)


def _records(redis) -> dict[str, dict]:
    records = {}
    for name, raw in redis.hgetall(REGISTRY_KEY).items():
        try:
            records[name.decode() if isinstance(name, bytes) else name] = json.loads(raw)
        except ValueError:
            continue
    return records


def alive_workers(redis, now: float | None = None) -> list[WorkerStatus]:
    """Workers whose last heartbeat is fresh."""
    now = time.time() if now is None else now
    return [WorkerStatus(r["name"], tuple(r["queues"]), int(r["slots"]), bool(r["has_gpu"]))
            for r in _records(redis).values() if now - float(r.get("last_seen", 0)) <= STALE_AFTER_S]


def sweep(redis, sessions: sessionmaker[Session], resend: Resend, now: float | None = None) -> list[int]:
    """Re-send the work of dead workers (see the module docstring); returns the submission ids sent."""
    now = time.time() if now is None else now
    records = _records(redis)
    alive = {n for n, r in records.items() if now - float(r.get("last_seen", 0)) <= STALE_AFTER_S}
    gpu_alive = any(records[n]["has_gpu"] and "gpu" in records[n]["queues"] for n in alive)
    # Only one sweeper wins the HDEL of a dead worker, so its queued work is re-sent once per death.
    buried = [float(r.get("last_seen", 0)) for n, r in records.items()
              if n not in alive and redis.hdel(REGISTRY_KEY, n)]
    grace = datetime.fromtimestamp(now - STALE_AFTER_S, timezone.utc)
    sent: list[int] = []
    with sessions() as session:
        # Read first and write only when there is something to move: on SQLite even an UPDATE
        # that matches nothing takes the write lock, and every worker sweeps every few seconds.
        dead_running = (Submission.status == "running", Submission.worker.is_not(None),
                        Submission.worker.not_in(alive or {""}), Submission.started_at < grace)
        jobs: list[tuple[int, str | None]] = []
        if session.scalar(select(Submission.id).where(*dead_running).limit(1)) is not None:
            jobs += session.execute(
                update(Submission).where(*dead_running)
                .values(status="queued", worker=None, started_at=None)
                .returning(Submission.id, Submission.queue)).all()
            session.commit()
        if buried:
            since = datetime.fromtimestamp(max(buried), timezone.utc) + timedelta(seconds=1)
            jobs += session.execute(select(Submission.id, Submission.queue).where(
                Submission.status == "queued", Submission.queue.is_not(None),
                Submission.created_at < since)).all()
        waiting_gpu = (Submission.status == "queued", Submission.queue == "gpu")
        if not gpu_alive and session.scalar(select(Submission.id).where(*waiting_gpu).limit(1)) is not None:
            moved = session.execute(update(Submission).where(*waiting_gpu).values(queue="cpu")
                                    .returning(Submission.id)).scalars().all()
            session.commit()
            jobs += [(i, "cpu") for i in moved]
    for submission_id, queue in dict(jobs).items():
        queue = queue if queue == "gpu" and gpu_alive else "cpu"
        resend(submission_id, queue)
        sent.append(submission_id)
    if sent:
        log.warning("re-sent %d submission(s) left by dead workers or a missing GPU worker: %s",
                    len(sent), sent[:20])
    return sent
