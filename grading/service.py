"""The grading service the pages call: submit code, read a verdict.

    receipt = service.submit(user_id=1, exercise_id="stable-softmax", code=src, mode="run")
    view = service.verdict(user_id=1, submission_id=receipt.submission_id)

The submission row is committed before the job is queued, so a crash after submit
loses nothing; bad input is stored as an ``error`` submission with its reason and
never reaches a worker.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.inputs import InputError, inspect_inputs
from grading.intake import inspect_code
from verdicts.learner_output import learner_output
from grading.lanes import LANE_NAMES, lane_for, ordinal, wait_estimate_s
from grading.queue import QueueBackend
from courseware.spec import ContentBank
from db import submissions
from db.models import FINAL_STATUSES, Submission, utcnow
from db.submission_inputs import add_inputs, input_names

log = logging.getLogger(__name__)
RECENT_JOBS = 30
"""How many of a lane's latest verdicts its wait estimate is drawn from."""
AWAIT_FIRST_PAUSE_S = 0.005
AWAIT_MAX_PAUSE_S = 0.04
"""``await_final`` checks 5 ms after the click, then backs off to every 40 ms: a warm verdict takes
about 0.1 s, and each check is one indexed read."""


class PacingRules(Protocol):
    """Cohort pacing as the service needs it (``portal.pacing.PacingPolicy`` implements it)."""

    def lock_reason(self, session: Session, user_id: int, exercise_id: str, now: datetime) -> str | None:
        """Why the exercise is not open for this learner yet, or None."""

    def late_minutes(self, session: Session, user_id: int, exercise_id: str, now: datetime) -> int | None:
        """Minutes past the learner's due date, or None when on time."""


class SubmitError(ValueError):
    """The request itself is invalid (unknown exercise, bad mode); nothing was stored."""


@dataclass(frozen=True)
class SubmitReceipt:
    """What the page learns right after pressing Run or Submit."""

    submission_id: int
    status: str
    """``queued`` normally; ``error`` when the input was rejected before grading."""
    message: str | None = None
    """Why the input was rejected, for the learner."""


@dataclass(frozen=True)
class VerdictView:
    """A submission as the learner's page shows it."""

    submission_id: int
    exercise_id: str
    mode: str
    status: str
    error_reason: str | None
    score: float | None
    points: int
    tests: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)
    output: str | None = None
    """pytest's console output for Run and Submit, as ``verdicts.learner_output.learner_output`` leaves it: no hidden
    test's section, no server path, no internal warning."""
    late_minutes: int | None = None
    """Minutes past the due date when submitted (recorded, never refused)."""
    inputs: tuple[str, ...] = ()
    """Names of the files handed in beside the code: set for a playground run ("your own text")."""
    lane: str | None = None
    """The queue (lane) it waits or waited in: ``cpu``, ``long`` or ``gpu``."""
    queue_position: int | None = None
    """While queued: 1 when it is next in its lane."""
    wait_estimate_s: float | None = None
    """While queued: seconds until the verdict, from the lane's recent jobs (None without history)."""

    @property
    def waiting_note(self) -> str | None:
        """"2nd in the short-job lane, about 3 s" while queued; None otherwise."""
        if self.status != "queued" or self.queue_position is None or self.lane is None:
            return None
        where = f"{ordinal(self.queue_position)} in the {LANE_NAMES.get(self.lane, self.lane)}"
        if self.wait_estimate_s is None:
            return where
        estimate = self.wait_estimate_s
        return f"{where}, about {estimate:.0f} s" if estimate >= 2 else f"{where}, about a second"

    @property
    def final(self) -> bool:
        """Whether grading has finished."""
        return self.status in FINAL_STATUSES


class GradingService:
    """Accepts submissions and reports verdicts; access is limited to the submitting learner."""

    def __init__(self, sessions: sessionmaker[Session], bank: ContentBank, backend: QueueBackend,
                 max_code_bytes: int = 64 * 1024, policy: "PacingRules | None" = None) -> None:
        self.sessions = sessions
        self.bank = bank
        self.backend = backend
        self.max_code_bytes = max_code_bytes
        self.policy = policy

    def submit(self, *, user_id: int, exercise_id: str, code: str | bytes, mode: str,
               inputs: Mapping[str, str | bytes] | None = None) -> SubmitReceipt:
        """Store a submission and queue it (or store why it was rejected). Returns at once.

        ``inputs`` (e.g. ``{"own_text.txt": text}``) makes a *Run* a playground run: the
        exercise's playground file trains the code on the learner's own text. Inputs that
        break a rule raise SubmitError and nothing is stored.
        """
        if exercise_id not in self.bank.exercises:
            raise SubmitError(f"There is no exercise {exercise_id!r}.")
        if mode not in ("run", "submit"):
            raise SubmitError(f"mode must be 'run' or 'submit', not {mode!r}")
        own_files = self._check_inputs(exercise_id, mode, inputs) if inputs else {}
        text, problem = inspect_code(code, self.max_code_bytes)
        now = utcnow()
        late = None
        if self.policy is not None:
            # Read in its own transaction: on SQLite a transaction that reads and then writes
            # cannot wait for another writer (the upgrade fails at once as "database is locked").
            with self.sessions() as session:
                locked = self.policy.lock_reason(session, user_id, exercise_id, now)
                if locked:
                    raise SubmitError(locked)
                # Late work is accepted and recorded, never refused.
                late = self.policy.late_minutes(session, user_id, exercise_id, now) if mode == "submit" else None
        queue = None if problem else self.queue_for(exercise_id, own_text=bool(own_files))
        with self.sessions() as session:
            sub = submissions.create_submission(
                session, user_id=user_id, exercise_id=exercise_id, mode=mode, code=text,
                status="error" if problem else "queued", error_reason=problem, late_minutes=late,
                queue=queue,
            )
            if own_files:  # stored even with a code problem, so the history shows what was tried
                add_inputs(session, sub.id, own_files)
            session.commit()
            submission_id = sub.id
        if problem:
            return SubmitReceipt(submission_id, "error", problem)
        if mode == "run":
            # Clicking Run again means the learner wants the newer code checked: the older one still
            # waiting would only hold a slot (a Submit is an attempt and always stays).
            with self.sessions() as session:
                submissions.replace_waiting_runs(session, user_id=user_id, exercise_id=exercise_id,
                                                 newer_id=submission_id)
        try:
            self.backend.enqueue(submission_id, queue, owner=user_id)
        except Exception:  # a broker outage must not leave a row queued that no worker will ever see
            log.exception("could not queue submission %s", submission_id)
            reason = ("The grading queue is unreachable right now, so your code was not graded. "
                      "Nothing is lost: submit again in a minute.")
            with self.sessions() as session:
                submissions.store_result(session, submission_id, status="error", score=0.0, tests=[],
                                         artifacts=[], error_reason=reason, points_possible=0.0)
            return SubmitReceipt(submission_id, "error", reason)
        return SubmitReceipt(submission_id, "queued")

    def regrade(self, submission_id: int) -> int:
        """Grade a learner's stored *Submit* again, as it was handed in; returns the new submission's id.

        For an admin's regrade after the tests changed (``portal.regrade``): the code goes through
        the same queue and workers as a Submit, but no pacing rule can refuse it and it is no
        attempt of the learner's. Its lateness is the original's. When stored, its verdict
        supersedes the one it replaces (``db.submissions.store_result``). ``submission_id`` may be
        the learner's Submit or an earlier regrade of it. SubmitError when it is not a Submit or
        the queue cannot take it (then nothing is left behind).
        """
        # Read, then write in a transaction of its own: SQLite cannot upgrade a read transaction to
        # a write once a grader has committed in between ("database is locked" at once, no waiting).
        with self.sessions() as session:
            original = session.get(Submission, submission_id)
            if original is None or original.mode != "submit":
                raise SubmitError(f"Submission {submission_id} is not a Submit, so there is nothing to regrade.")
            if original.exercise_id not in self.bank.exercises:
                raise SubmitError(f"There is no exercise {original.exercise_id!r}.")
        queue = self.queue_for(original.exercise_id)
        with self.sessions() as session:
            sub = submissions.create_submission(
                session, user_id=original.user_id, exercise_id=original.exercise_id, mode="submit",
                code=original.code, late_minutes=original.late_minutes, queue=queue,
                regrade_of=original.regrade_of or original.id)
            session.commit()
            new_id = sub.id
        try:
            self.backend.enqueue(new_id, queue)
        except Exception:
            log.exception("could not queue regrade %s", new_id)
            with self.sessions() as session:  # an unqueued regrade must not wait forever as "queued"
                session.execute(delete(Submission).where(Submission.id == new_id))
                session.commit()
            raise SubmitError("The grading queue is unreachable right now, so nothing was regraded. "
                              "Try again in a minute.") from None
        return new_id

    def _check_inputs(self, exercise_id: str, mode: str, inputs: Mapping[str, str | bytes]) -> dict[str, str]:
        """The learner's own files, checked; SubmitError says what is wrong with them."""
        if mode != "run":
            raise SubmitError("Your own text can only be used with Run; Submit grades the exercise's own tests.")
        if self.bank.exercises[exercise_id].playground is None:
            raise SubmitError("This exercise has no playground, so it cannot run on your own text.")
        try:
            return inspect_inputs(inputs)
        except InputError as exc:
            raise SubmitError(str(exc)) from None

    def queue_for(self, exercise_id: str, own_text: bool = False) -> str:
        """The job's lane (``grading.lanes``): ``gpu`` for GPU exercises when a GPU worker is alive,
        ``long`` for training labs and runs on the learner's own text, else ``cpu``."""
        spec = self.bank.exercises[exercise_id]
        gpu = spec.device in ("gpu", "gpu-preferred") and self.backend.gpu_available()
        return lane_for(spec.limits.time_s, device=spec.device, own_text=own_text, gpu_available=gpu)

    def live_charts(self, *, user_id: int, submission_id: int) -> list[dict[str, Any]]:
        """Charts the learner's running submission has published so far ([] if none or not theirs)."""
        with self.sessions() as session:
            sub = session.get(Submission, submission_id)
            if sub is None or sub.user_id != user_id or sub.status != "running":
                return []
        return [_artifact(row["payload"]) for row in self.backend.live_charts(submission_id)
                if isinstance(row, dict) and isinstance(row.get("payload"), str)]

    def await_final(self, *, user_id: int, submission_id: int, timeout_s: float) -> bool:
        """Wait up to ``timeout_s`` for the submission's verdict; True once it is final.

        A page calls this right after a click, so a short job's verdict is drawn in the same
        rerun instead of on the next poll. Reads only the status, a little less often as it waits."""
        deadline = time.monotonic() + timeout_s
        pause = AWAIT_FIRST_PAUSE_S
        while True:
            with self.sessions() as session:
                status = session.scalar(select(Submission.status).where(
                    Submission.id == submission_id, Submission.user_id == user_id))
            if status is None or status in FINAL_STATUSES:
                return status is not None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, AWAIT_MAX_PAUSE_S)

    def verdict(self, *, user_id: int, submission_id: int) -> VerdictView | None:
        """The submission's current state, or None if it does not exist or is not this user's."""
        with self.sessions() as session:
            sub = submissions.get_submission(session, submission_id)
            if sub is None or sub.user_id != user_id:
                return None
            spec = self.bank.exercises.get(sub.exercise_id)
            tests = [{"name": t.name, "visibility": t.visibility, "outcome": t.outcome,
                      "message": t.message, "duration_s": t.duration_s, "error_class": t.error_class}
                     for t in sub.tests]
            return VerdictView(
                submission_id=sub.id, exercise_id=sub.exercise_id, mode=sub.mode, status=sub.status,
                error_reason=sub.error_reason, score=sub.score, points=spec.points if spec else 0,
                tests=tests, artifacts=[_artifact(a.payload) for a in sub.artifacts],
                output=learner_output(sub.output, tests), late_minutes=sub.late_minutes,
                inputs=tuple(input_names(session, sub.id)) if sub.mode == "run" else (),
                lane=sub.queue, **(self._queue_place(session, sub) if sub.status == "queued" else {}),
            )

    def _queue_place(self, session: Session, sub: Submission) -> dict[str, Any]:
        """Where a queued submission stands in its lane, and how long it should take."""
        if sub.queue is None:
            return {}
        ahead = session.scalar(select(func.count()).select_from(Submission).where(
            Submission.queue == sub.queue, Submission.status == "queued", Submission.id < sub.id)) or 0
        recent = session.execute(
            select(Submission.started_at, Submission.finished_at)
            .where(Submission.queue == sub.queue, Submission.status.in_(("passed", "failed")),
                   Submission.started_at.is_not(None), Submission.finished_at.is_not(None))
            .order_by(Submission.id.desc()).limit(RECENT_JOBS)).all()
        durations = [(done - started).total_seconds() for started, done in recent]
        position = ahead + 1
        return {"queue_position": position,
                "wait_estimate_s": wait_estimate_s(position, self.backend.lane_slots(sub.queue), durations)}


def _artifact(payload: str) -> dict[str, Any]:
    try:
        data = json.loads(payload)
    except ValueError:
        return {"kind": "text", "name": "artifact", "text": "(unreadable artifact)"}
    return data if isinstance(data, dict) else {"kind": "text", "name": "artifact", "text": str(data)}
