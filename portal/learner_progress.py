""""My progress" for a learner: their cohort's schedule, what is due, their streak and a chart."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from courseware.spec import ContentBank
from db.models import ExerciseProgress, LessonProgress, Submission
from portal.pacing import ModuleSchedule, schedule


@dataclass(frozen=True)
class DueItem:
    """A module with a due date that is not finished yet."""

    title: str
    due_at: datetime
    overdue: bool


@dataclass(frozen=True)
class MyProgress:
    """Everything the "My progress" page shows besides the per-track bars."""

    cohort_name: str | None
    track_id: str | None
    schedule: list[ModuleSchedule]
    due: list[DueItem]
    streak_days: int
    """Consecutive days, up to today, with a submission or a lesson read."""
    passed_over_time: list[dict]
    """Rows {date, passed}: exercises passed so far, by day."""


def streak(days: set[date], today: date) -> int:
    """Consecutive active days ending today (or yesterday: today is not over yet)."""
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def my_progress(sessions: sessionmaker[Session], bank: ContentBank, user_id: int, today: date) -> MyProgress:
    """The learner's own progress (no access check needed: it only ever reads ``user_id``'s rows)."""
    with sessions() as session:
        cohort, modules = schedule(session, bank, user_id, today)
        passed = {p.exercise_id: p.passed_at for p in session.scalars(
            select(ExerciseProgress).where(ExerciseProgress.user_id == user_id, ExerciseProgress.passed_at.is_not(None)))}
        active = {t.date() for t in session.scalars(select(Submission.created_at).where(
            Submission.user_id == user_id, Submission.regrade_of.is_(None)))}  # a regrade is no activity of theirs
        active |= {t.date() for t in session.scalars(
            select(LessonProgress.completed_at).where(LessonProgress.user_id == user_id))}
    due = []
    for s in modules:
        ids = [i.id for i in s.module.items if i.kind == "exercise" and not i.coming]
        if s.due_at is not None and not all(e in passed for e in ids):
            due.append(DueItem(s.module.title, s.due_at, s.due_at.date() < today))
    counts, total = [], 0
    for day in sorted({t.date() for t in passed.values()}):
        total += sum(t.date() == day for t in passed.values())
        counts.append({"date": day.isoformat(), "passed": total})
    return MyProgress(cohort.name if cohort else None, cohort.track_id if cohort else None, modules,
                      sorted(due, key=lambda d: d.due_at), streak(active, today), counts)
