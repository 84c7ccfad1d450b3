"""The grading system's health at a glance, for admins: queues, workers, verdict latency, failures.

    snap = health_snapshot(session, ctx.backend, now=utcnow())
    snap.queues["cpu"].queued, snap.latency["gpu"].p95_s, snap.failures

Figures over time cover the last hour (``WINDOW``). Percentiles are computed here, over that
hour's rows, so the same code runs on SQLite and PostgreSQL (neither shares a percentile
function with the other).
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from grading.queue import QUEUES, QueueBackend, WorkerStatus
from db.models import FINAL_STATUSES, Submission, utcnow
from portal.access import require_admin
from portal.auth import CurrentUser

WINDOW = timedelta(hours=1)
UNROUTED = "none"
"""The queue label of work stored without one (refused input, or rows from before queues existed)."""


@dataclass(frozen=True)
class QueueDepth:
    """Work waiting in and taken from one queue."""

    queue: str
    queued: int
    running: int
    oldest_queued_s: float | None
    """Age of the submission that has waited longest; None when nothing waits."""


@dataclass(frozen=True)
class Latency:
    """Time from submit to verdict of the submissions one queue finished in the window."""

    queue: str
    count: int
    p50_s: float
    p95_s: float


@dataclass(frozen=True)
class HealthSnapshot:
    """Everything the health page shows, taken at ``taken_at``."""

    taken_at: datetime
    queues: dict[str, QueueDepth]
    """One per queue (cpu and gpu always), plus ``none`` if unrouted work is waiting."""
    oldest_queued_s: float | None
    """Longest wait of anything still queued, across queues."""
    workers: tuple[WorkerStatus, ...]
    latency: dict[str, Latency]
    """Per queue that finished something in the window."""
    failures: dict[str, int]
    """Failed or error submissions finished in the window, by reason (error class), most first."""
    errors: int
    """Of those, how many ended in ``error`` (not judged: limits, crashes, grader faults, refused input)."""

    def workers_for(self, queue: str) -> tuple[int, int]:
        """(workers, slots) consuming ``queue``."""
        serving = [w for w in self.workers if queue in w.queues]
        return len(serving), sum(w.slots for w in serving)


def percentile(sorted_values: list[float], p: float) -> float:
    """The nearest-rank ``p``-th percentile (0 < p <= 100) of a non-empty sorted list."""
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def health_snapshot(session: Session, backend: QueueBackend, now: datetime | None = None) -> HealthSnapshot:
    """Read the queue from the database and the workers from ``backend``; figures over the last hour."""
    now = now or utcnow()
    since = now - WINDOW
    return HealthSnapshot(
        taken_at=now, **_queues(session, now), workers=tuple(backend.workers()),
        latency=_latency(session, since, now), **_failures(session, since, now))


def _queues(session: Session, now: datetime) -> dict:
    depth = {q: {"queued": 0, "running": 0, "oldest": None} for q in QUEUES}
    rows = session.execute(
        select(Submission.queue, Submission.status, func.count(), func.min(Submission.created_at))
        .where(Submission.status.in_(("queued", "running")))
        .group_by(Submission.queue, Submission.status))
    for queue, status, count, oldest in rows:
        entry = depth.setdefault(queue or UNROUTED, {"queued": 0, "running": 0, "oldest": None})
        entry[status] += count
        if status == "queued" and oldest is not None:
            entry["oldest"] = oldest if entry["oldest"] is None else min(entry["oldest"], oldest)
    queues = {q: QueueDepth(q, d["queued"], d["running"], _age(now, d["oldest"])) for q, d in depth.items()}
    ages = [q.oldest_queued_s for q in queues.values() if q.oldest_queued_s is not None]
    return {"queues": queues, "oldest_queued_s": max(ages) if ages else None}


def _age(now: datetime, then: datetime | None) -> float | None:
    if then is None:
        return None
    if then.tzinfo is None:  # an aggregate over a column can come back without the column's zone
        then = then.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - then).total_seconds())


def _latency(session: Session, since: datetime, now: datetime) -> dict[str, Latency]:
    """Submit-to-verdict seconds of graded work (queue set) finished in the window, per queue."""
    waits: dict[str, list[float]] = {}
    rows = session.execute(
        select(Submission.queue, Submission.created_at, Submission.finished_at)
        .where(Submission.status.in_(FINAL_STATUSES), Submission.queue.is_not(None),
               Submission.finished_at >= since, Submission.finished_at <= now))
    for queue, created, finished in rows:
        waits.setdefault(queue, []).append(max(0.0, (finished - created).total_seconds()))
    latency = {}
    for queue, values in sorted(waits.items()):
        values.sort()
        latency[queue] = Latency(queue, len(values), percentile(values, 50), percentile(values, 95))
    return latency


def _failures(session: Session, since: datetime, now: datetime) -> dict:
    """Failed and error submissions finished in the window, counted by reason."""
    reasons: Counter[str] = Counter()
    errors = 0
    rows = session.execute(
        select(Submission.status, Submission.error_class, Submission.queue, func.count())
        .where(Submission.status.in_(("failed", "error")), Submission.finished_at >= since,
               Submission.finished_at <= now)
        .group_by(Submission.status, Submission.error_class, Submission.queue))
    for status, error_class, queue, count in rows:
        # Input refused before queueing has no class: it never reached a grader.
        reasons[error_class or ("refused" if queue is None else "unclassified")] += count
        errors += count if status == "error" else 0
    return {"failures": dict(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))), "errors": errors}


def admin_health(sessions: sessionmaker[Session], viewer: CurrentUser, backend: QueueBackend,
                 now: datetime | None = None) -> HealthSnapshot:
    """The snapshot for the health page; ``AccessDenied`` unless the viewer is an admin."""
    require_admin(viewer)
    with sessions() as session:
        return health_snapshot(session, backend, now)
