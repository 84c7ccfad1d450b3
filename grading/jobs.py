"""The job a worker runs for one queued submission: database in, sandboxed check, database out.

The same function serves every queue backend, so a distributed engine can run it unchanged.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from sandbox.result import CheckResult
from verdicts.failure_class import RULE, error_class, submission_error_class
from sandbox.engines import GradingEngine
from grading.live import LiveBoard
from courseware.content_version import content_version
from courseware.spec import ContentBank
from db import submissions
from db.submission_inputs import load_inputs

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What a worker needs to grade: content, a checker and a way to reach the database."""

    bank: ContentBank
    grading_engine: GradingEngine
    sessions: sessionmaker[Session]
    worker: str = ""
    """Who grades (host:pid/slot), recorded on each submission it claims."""
    live: LiveBoard | None = None
    """Where charts of running jobs go for the learner's page (None: not shown)."""


def grade_submission(ctx: JobContext, submission_id: int, *, one_per_learner: bool = False) -> str | None:
    """Claim, grade and store one submission; returns its final status, or None if not claimed.

    A submission is claimed with an atomic queued → running update, so two workers never
    grade the same one, and the result write is idempotent. ``one_per_learner``: not claimed
    while its learner has another job running in its queue (Celery workers, which share no
    memory; the local pool keeps that rule itself).
    """
    with ctx.sessions() as session:
        sub = submissions.claim_submission(session, submission_id, worker=ctx.worker or None,
                                           one_per_learner=one_per_learner)
        if sub is None:
            return None
        session.commit()
        claimed = time.monotonic()
        exercise_id, code, mode = sub.exercise_id, sub.code, sub.mode
        inputs = load_inputs(session, submission_id) or None  # the learner's own text: a playground run
    spec = ctx.bank.exercises.get(exercise_id)
    version = _version(spec) if spec is not None and inputs is None else None
    if spec is None:
        result = CheckResult.from_error(f"Exercise {exercise_id!r} no longer exists in the course.")
    elif inputs is not None and spec.playground is None:
        result = CheckResult.from_error("This exercise no longer offers a run on your own text.")
    else:
        try:
            on_live = None
            if ctx.live is not None:
                board = ctx.live
                on_live = lambda charts: board.publish(submission_id, [a.as_row() for a in charts])  # noqa: E731
            result = ctx.grading_engine.check(spec, code, mode, inputs=inputs, on_live=on_live)
        except Exception:  # a platform fault must still end the submission in a final state
            log.exception("grading submission %s failed", submission_id)
            result = CheckResult.from_error("The grader hit an internal problem; your code was not "
                                            "judged. Please submit again.")
    points = spec.points if spec else 0
    rules = spec.rules if spec else ()
    broken = set(result.broken_rules(rules))
    tests = [t.as_row() | ({"error_class": RULE if t.name in broken else error_class(t.message)}
                           if t.outcome != "passed" else {})
             for t in result.tests]
    failing = [t["error_class"] for t in tests if "error_class" in t]
    with ctx.sessions() as session:
        submissions.store_result(
            session, submission_id, status=result.status, score=result.score(points, rules),
            tests=tests, artifacts=[a.as_row() for a in result.artifacts],
            metrics=[m.as_row() for m in result.metrics], error_reason=result.error_reason,
            output=result.output, points_possible=points,
            error_class=submission_error_class(result.status, result.error_reason, failing),
            content_version=version,
        )
    if ctx.live is not None:
        ctx.live.clear(submission_id)  # the stored verdict carries the final charts
    # Where the time went (bench/verdict_latency.py reads these from the log record).
    log.debug("submission %s graded", submission_id,
              extra={"steps": {"claimed": claimed, **result.phases, "stored": time.monotonic()}})
    return result.status


def _version(spec) -> str | None:
    """The content version the job grades against, read just before the tests are copied."""
    try:
        return content_version(spec)
    except OSError:  # a file vanished mid-update: grade on, the verdict just carries no version
        log.warning("could not compute the content version of %s", spec.id, exc_info=True)
        return None
