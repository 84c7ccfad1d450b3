"""One learner's work in detail, for their lead: every attempt, a diff of two, hint use."""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank
from db.models import HintUse, Submission
from db.submission_inputs import with_inputs
from portal.access import require_learner
from portal.auth import CurrentUser
from portal.exercise import attempt_mode
from portal.regrade import attempt_note, current_versions


@dataclass(frozen=True)
class Attempt:
    """One submission as the lead sees it."""

    id: int
    exercise_id: str
    mode: str
    status: str
    score: float | None
    created_at: datetime
    late_minutes: int | None
    error_class: str | None
    code: str
    note: str = ""
    """Regrade links and whether it was graded against an older version of the tests (``portal.regrade``)."""


def attempts(sessions: sessionmaker[Session], viewer: CurrentUser, learner_id: int,
             exercise_id: str | None = None, limit: int = 200, bank: ContentBank | None = None) -> list[Attempt]:
    """The learner's attempts, newest first; ``AccessDenied`` unless the viewer may see them.

    With ``bank``, each attempt's note also says when it was graded against older tests.
    """
    with sessions() as session:
        require_learner(session, viewer, learner_id)
        query = select(Submission).where(Submission.user_id == learner_id)
        if exercise_id:
            query = query.where(Submission.exercise_id == exercise_id)
        rows = list(session.scalars(query.order_by(Submission.id.desc()).limit(limit)))
        own = with_inputs(session, [s.id for s in rows])  # runs on their own text: named so, never scored
    versions = current_versions(bank, {s.exercise_id for s in rows}) if bank is not None else {}
    return [Attempt(s.id, s.exercise_id, attempt_mode(s.mode, s.id in own), s.status,
                    None if s.id in own else s.score, s.created_at, s.late_minutes, s.error_class, s.code,
                    attempt_note(regrade_of=s.regrade_of, superseded_by=s.superseded_by,
                                 content_version=s.content_version, current=versions.get(s.exercise_id)))
            for s in rows]


MODE_LABELS = {"run": "Run (public tests)", "submit": "Submit (all tests)"}


def attempt_rows(history: list[Attempt], titles: dict[str, str]) -> list[dict]:
    """The attempts as table rows with names a lead reads ("attempt", "exercise" by title, "late
    (min)"), and empty cells, never "None", where a value does not apply."""
    return [{"attempt": a.id, "exercise": titles.get(a.exercise_id, a.exercise_id),
             "mode": MODE_LABELS.get(a.mode, a.mode), "status": a.status,
             "score": "" if a.score is None else f"{a.score:g}",
             "when (UTC)": a.created_at.strftime("%Y-%m-%d %H:%M"),
             "late (min)": "" if a.late_minutes is None else str(a.late_minutes),
             "why": a.error_class or "", "note": a.note or ""} for a in history]


def diff(older: Attempt, newer: Attempt) -> str:
    """A unified diff of two attempts' code."""
    return "".join(difflib.unified_diff(
        older.code.splitlines(keepends=True), newer.code.splitlines(keepends=True),
        fromfile=f"attempt {older.id} ({older.status})", tofile=f"attempt {newer.id} ({newer.status})"))


def hint_uses(sessions: sessionmaker[Session], viewer: CurrentUser, learner_id: int) -> list[tuple[str, int, datetime]]:
    """(exercise, hint number from 1, when) for every hint the learner revealed."""
    with sessions() as session:
        require_learner(session, viewer, learner_id)
        return [(h.exercise_id, h.hint_index + 1, h.shown_at) for h in session.scalars(
            select(HintUse).where(HintUse.user_id == learner_id).order_by(HintUse.shown_at))]
