"""The life of a submission: queued → running → passed | failed | error.

The grading service creates it, a worker claims it, the worker stores the result;
pages read it. Transitions done by workers (claim, store, recovery) commit on their
own, so call them with a session that holds no unrelated pending work::

    sub = create_submission(session, user_id=1, exercise_id="attention", mode="submit", code=src)
    session.commit()                           # then enqueue sub.id
    ...                                        # in a worker:
    if claim_submission(session, sub.id):      # None: another worker has it
        store_result(session, sub.id, status="passed", score=10.0, tests=[...],
                     artifacts=[...], points_possible=10.0, content_version="3f9a0c41d2be")

A regrade (``regrade_of`` set) is stored the same way, but instead of counting an attempt it
supersedes the verdict it replaces and recomputes the learner's best score and first pass
from the verdicts that still stand (``portal.regrade`` queues them).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from db.models import (
    FINAL_STATUSES, MODES, STATUSES, Artifact, ExerciseProgress, Submission, SubmissionMetric, TestResult, User,
    utcnow,
)
from db.upsert import insert_for

UNFINISHED = ("queued", "running")


def create_submission(session: Session, *, user_id: int, exercise_id: str, mode: str, code: str,
                      status: str = "queued", error_reason: str | None = None,
                      late_minutes: int | None = None, queue: str | None = None,
                      regrade_of: int | None = None) -> Submission:
    """Record a new submission and flush it (the caller commits, then enqueues its id).

    A final ``status`` records a submission refused before grading (e.g. code too
    large): it is finished on arrival and never reaches a worker. ``regrade_of`` makes it a
    regrade of that learner *Submit* (not an attempt of the learner's).
    """
    if mode not in MODES:
        raise ValueError(f"mode {mode!r} is not one of {MODES}")
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {STATUSES}")
    submission = Submission(user_id=user_id, exercise_id=exercise_id, mode=mode, code=code,
                            status=status, error_reason=error_reason, late_minutes=late_minutes,
                            queue=queue, regrade_of=regrade_of)
    if status in FINAL_STATUSES:
        submission.started_at = submission.finished_at = utcnow()
    session.add(submission)
    session.flush()
    return submission


def claim_submission(session: Session, submission_id: int, worker: str | None = None, *,
                     one_per_learner: bool = False) -> Submission | None:
    """Move a queued submission to running and commit; None if it was not queued.

    One conditional UPDATE does the check and the change, so of two workers racing
    for the same id exactly one sees a row changed. With ``one_per_learner`` it is also not
    claimed while the same learner has another submission running in the same queue (then it
    stays queued: see ``still_queued``), checked in the same statement. On PostgreSQL the
    learner's row is locked first, so two workers cannot each start one of the learner's jobs at
    once; SQLite runs one writer at a time (and a read before the write could deadlock there).
    """
    conditions = [Submission.id == submission_id, Submission.status == "queued"]
    if one_per_learner:
        if session.get_bind().dialect.name == "postgresql":
            owner = select(Submission.user_id).where(Submission.id == submission_id).scalar_subquery()
            session.execute(select(User.id).where(User.id == owner).with_for_update())
        other = aliased(Submission)
        conditions.append(~select(other.id).where(
            other.user_id == Submission.user_id, other.queue.is_not_distinct_from(Submission.queue),
            other.status == "running", other.id != Submission.id).exists())
    claimed = session.execute(
        update(Submission)
        .where(*conditions)
        .values(status="running", started_at=utcnow(), worker=_fit(Submission.worker, worker))
        .returning(Submission.id)
    ).scalar_one_or_none()
    session.commit()
    if claimed is None:
        return None
    return session.get(Submission, submission_id, populate_existing=True)


def still_queued(session: Session, submission_id: int) -> bool:
    """Whether the submission still waits for a worker (after a claim that did not take it)."""
    return session.scalar(select(Submission.status).where(Submission.id == submission_id)) == "queued"


REPLACED_RUN = "Replaced by your newer Run of this exercise before it was graded."


def replace_waiting_runs(session: Session, *, user_id: int, exercise_id: str, newer_id: int) -> list[int]:
    """End the learner's older *Run*s of the exercise that still wait in a queue (a worker that
    picks one up later finds it no longer queued and skips it); commits; returns their ids."""
    now = utcnow()
    ids = session.execute(
        update(Submission)
        .where(Submission.user_id == user_id, Submission.exercise_id == exercise_id, Submission.mode == "run",
               Submission.status == "queued", Submission.id < newer_id)
        .values(status="error", error_reason=REPLACED_RUN, score=0.0, started_at=now, finished_at=now)
        .returning(Submission.id)
    ).scalars().all()
    session.commit()
    return list(ids)


def store_result(session: Session, submission_id: int, *, status: str, score: float,
                 tests: Sequence[Mapping[str, Any]], artifacts: Sequence[Mapping[str, Any]],
                 error_reason: str | None = None, output: str | None = None,
                 points_possible: float, error_class: str | None = None,
                 metrics: Sequence[Mapping[str, Any]] = (), content_version: str | None = None) -> bool:
    """Write a grading result in one transaction and commit; False if already final.

    Writes the verdict, one row per test and per artifact, and for a *Submit* the
    learner's exercise progress, all or nothing: on any error everything is rolled
    back (the submission stays as it was) and the error is raised. ``tests`` dicts
    carry name, visibility, outcome, message, duration_s; ``artifacts`` dicts carry
    name, kind, payload (JSON text); ``metrics`` dicts carry name and value (a later
    dict of the same name replaces an earlier one). ``score`` must lie in [0, points_possible].
    ``content_version`` is the version of the exercise content it was graded against.
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"status {status!r} is not final: use one of {FINAL_STATUSES}")
    if not 0.0 <= score <= points_possible + 1e-9:
        raise ValueError(f"score {score} is outside 0..{points_possible}")
    now = utcnow()
    try:
        # The status guard makes a repeated delivery (a retried job, a recovered
        # worker) a no-op, and the UPDATE comes first so that on SQLite the write lock
        # is taken before anything is read.
        row = session.execute(
            update(Submission)
            .where(Submission.id == submission_id, Submission.status.in_(UNFINISHED))
            .values(status=status, score=score, error_reason=error_reason, output=output, error_class=error_class,
                    tests_passed=sum(t["outcome"] == "passed" for t in tests),
                    tests_total=len(tests), finished_at=now, content_version=content_version,
                    started_at=func.coalesce(Submission.started_at, now))
            .returning(Submission.user_id, Submission.exercise_id, Submission.mode, Submission.regrade_of)
        ).one_or_none()
        if row is None:
            session.rollback()
            return False
        if row.mode == "submit" and row.regrade_of is not None:
            _supersede(session, row.regrade_of)
            recompute_progress(session, row.user_id, row.exercise_id)
        elif row.mode == "submit":
            _record_attempt(session, row.user_id, row.exercise_id, score=score,
                            passed=status == "passed", now=now, content_version=content_version)
        if tests:
            session.execute(TestResult.__table__.insert(), [
                {"submission_id": submission_id, "name": _fit(TestResult.name, t["name"]),
                 "visibility": t["visibility"], "outcome": t["outcome"], "message": t.get("message") or "",
                 "duration_s": float(t.get("duration_s") or 0.0), "error_class": t.get("error_class")}
                for t in tests])
        if artifacts:
            session.execute(Artifact.__table__.insert(), [
                {"submission_id": submission_id, "name": _fit(Artifact.name, a["name"]), "kind": a["kind"],
                 "payload": a["payload"]} for a in artifacts])
        # One row per name (the table is unique on it): the last value given wins.
        values = {m["name"]: float(m["value"]) for m in metrics}
        if values:
            session.execute(SubmissionMetric.__table__.insert(), [
                {"submission_id": submission_id, "name": name, "value": value} for name, value in values.items()])
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return True


def _fit(column: Any, value: str | None) -> str | None:
    """``value`` cut to the column's length, NUL as U+FFFD: PostgreSQL refuses both where SQLite keeps them.

    For names that come out of the sandbox (test ids, artifact names) or the host (worker).
    """
    if value is None:
        return None
    value = value.replace("\x00", "\ufffd")
    length = column.type.length
    return value if length is None else value[:length]


def _record_attempt(session: Session, user_id: int, exercise_id: str, *, score: float,
                    passed: bool, now: datetime, content_version: str | None = None) -> None:
    """Upsert exercise_progress: one more attempt, best score kept, first pass remembered."""
    table = ExerciseProgress.__table__
    stmt = insert_for(session, ExerciseProgress).values(
        user_id=user_id, exercise_id=exercise_id, attempts=1, best_score=score,
        passed_at=now if passed else None, last_submission_at=now, best_content_version=content_version)
    new = stmt.excluded
    session.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "exercise_id"],
        set_={
            "attempts": table.c.attempts + 1,
            # CASE, not max()/greatest(): the one spelling both databases share.
            "best_score": case((new.best_score > table.c.best_score, new.best_score),
                               else_=table.c.best_score),
            # A tie moves to the newer verdict: equalling an old best against current tests
            # means the best is no longer only known against older ones.
            "best_content_version": case((new.best_score >= table.c.best_score, new.best_content_version),
                                         else_=table.c.best_content_version),
            "passed_at": func.coalesce(table.c.passed_at, new.passed_at),
            "last_submission_at": new.last_submission_at,
        },
    ))


def _supersede(session: Session, original_id: int) -> None:
    """Of the verdicts of one learner *Submit* (its own and its regrades'), let the newest stand.

    Every other final one that still stands gets ``superseded_by`` = the newest; one already
    superseded keeps its link (the history reads as a chain). Results arriving out of order
    (two regrades queued at once) still leave the newest standing.
    """
    final = session.scalars(
        select(Submission.id).where(or_(Submission.id == original_id, Submission.regrade_of == original_id),
                                    Submission.status.in_(FINAL_STATUSES))).all()
    newest = max(final)
    session.execute(update(Submission)
                    .where(Submission.id.in_([i for i in final if i != newest]), Submission.superseded_by.is_(None))
                    .values(superseded_by=newest))


def recompute_progress(session: Session, user_id: int, exercise_id: str) -> None:
    """Set best score, its content version and first pass from the *Submit* verdicts that stand.

    For after a regrade: attempts and the last submission time are the learner's and stay.
    A regrade that passes counts as passed when the learner handed that code in (the first
    verdict of its original), not when it was graded again.
    """
    original = aliased(Submission)
    rows = session.execute(
        select(Submission.id, Submission.score, Submission.status, Submission.content_version,
               func.coalesce(original.finished_at, Submission.finished_at).label("handed_in"))
        .outerjoin(original, original.id == Submission.regrade_of)
        .where(Submission.user_id == user_id, Submission.exercise_id == exercise_id,
               Submission.mode == "submit", Submission.status.in_(FINAL_STATUSES),
               Submission.superseded_by.is_(None))).all()
    # Submissions refused before grading never counted; the same rule as _record_attempt.
    graded = [r for r in rows if r.score is not None]
    best = max(graded, key=lambda r: (r.score, r.id), default=None)
    passes = [r.handed_in for r in graded if r.status == "passed" and r.handed_in is not None]
    session.execute(update(ExerciseProgress)
                    .where(ExerciseProgress.user_id == user_id, ExerciseProgress.exercise_id == exercise_id)
                    .values(best_score=best.score if best else 0.0,
                            best_content_version=best.content_version if best else None,
                            passed_at=min(passes) if passes else None))


def fail_stale(session: Session, reason: str) -> list[int]:
    """Mark every queued or running submission as an error with ``reason``; commit; their ids."""
    now = utcnow()
    ids = session.execute(
        update(Submission)
        .where(Submission.status.in_(UNFINISHED))
        .values(status="error", error_reason=reason, finished_at=now,
                started_at=func.coalesce(Submission.started_at, now))
        .returning(Submission.id)
    ).scalars().all()
    session.commit()
    return sorted(ids)


def unfinished_ids(session: Session) -> list[int]:
    """Ids of queued or running submissions, oldest first (start-up recovery)."""
    return list(session.scalars(
        select(Submission.id).where(Submission.status.in_(UNFINISHED))
        .order_by(Submission.created_at, Submission.id)))


def requeue_running(session: Session) -> list[int]:
    """Put running submissions back in the queue (their worker died with the app); commit.

    Returns every queued id, oldest first, for the caller to enqueue again.
    """
    session.execute(update(Submission).where(Submission.status == "running")
                    .values(status="queued", started_at=None))
    session.commit()
    return unfinished_ids(session)


def get_submission(session: Session, submission_id: int) -> Submission | None:
    """One submission with its tests and artifacts loaded, fresh from the database."""
    return session.scalar(
        select(Submission).where(Submission.id == submission_id)
        .options(selectinload(Submission.tests), selectinload(Submission.artifacts))
        # A polling page reuses objects: refresh them rather than show a stale "running".
        .execution_options(populate_existing=True))


def list_submissions(session: Session, user_id: int, exercise_id: str | None = None,
                     limit: int = 50) -> list[Submission]:
    """A user's submissions (of one exercise, if given), newest first."""
    query = select(Submission).where(Submission.user_id == user_id)
    if exercise_id is not None:
        query = query.where(Submission.exercise_id == exercise_id)
    query = query.order_by(Submission.created_at.desc(), Submission.id.desc()).limit(limit)
    return list(session.scalars(query))
