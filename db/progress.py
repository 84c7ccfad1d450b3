"""What a learner has done: tracks enrolled in, lessons read, exercises solved.

    enroll(session, user.id, "transformers-from-scratch"); session.commit()
    summary = progress_summary(session, user.id, track_exercise_ids, track_lesson_ids)

Writers flush and leave the commit to the caller. Exercise progress itself is
written by ``db.submissions.store_result``, in the transaction of the result.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Enrollment, ExerciseProgress, LessonProgress, utcnow
from db.upsert import insert_for


@dataclass(frozen=True)
class ProgressSummary:
    """A learner's standing on one set of lessons and exercises (a track, a module)."""

    lessons_done: int
    """Lessons of the set marked as read."""
    lessons_total: int
    exercises_passed: int
    """Exercises of the set with every test passed at least once."""
    exercises_total: int
    points_earned: float
    """Sum of the best score on each exercise of the set."""


def enroll(session: Session, user_id: int, track_id: str) -> None:
    """Enroll a user in a track; enrolling twice changes nothing."""
    stmt = insert_for(session, Enrollment).values(user_id=user_id, track_id=track_id,
                                                  enrolled_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "track_id"]))


def unenroll(session: Session, user_id: int, track_id: str) -> None:
    """Stop following a track (progress on its items stays); unknown pairs change nothing."""
    session.execute(delete(Enrollment).where(Enrollment.user_id == user_id, Enrollment.track_id == track_id))


def enrolled_track_ids(session: Session, user_id: int) -> list[str]:
    """Tracks the user is enrolled in, in the order they enrolled."""
    return list(session.scalars(select(Enrollment.track_id).where(Enrollment.user_id == user_id)
                                .order_by(Enrollment.enrolled_at, Enrollment.id)))


def mark_lesson_done(session: Session, user_id: int, lesson_id: str) -> None:
    """Record a lesson as read; the first time counts, later calls change nothing."""
    stmt = insert_for(session, LessonProgress).values(user_id=user_id, lesson_id=lesson_id,
                                                      completed_at=utcnow())
    session.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "lesson_id"]))


def lessons_done(session: Session, user_id: int) -> set[str]:
    """Ids of every lesson the user has read."""
    return set(session.scalars(select(LessonProgress.lesson_id)
                               .where(LessonProgress.user_id == user_id)))


def exercise_progress(session: Session, user_id: int) -> dict[str, ExerciseProgress]:
    """The user's progress rows, by exercise id (exercises never submitted are absent)."""
    rows = session.scalars(select(ExerciseProgress).where(ExerciseProgress.user_id == user_id))
    return {row.exercise_id: row for row in rows}


def progress_summary(session: Session, user_id: int, exercise_ids: Iterable[str],
                     lesson_ids: Iterable[str]) -> ProgressSummary:
    """Count what the user did among ``exercise_ids`` and ``lesson_ids`` (ids elsewhere ignored)."""
    exercises, lessons = set(exercise_ids), set(lesson_ids)
    rows = [row for ex_id, row in exercise_progress(session, user_id).items() if ex_id in exercises]
    return ProgressSummary(
        lessons_done=len(lessons & lessons_done(session, user_id)),
        lessons_total=len(lessons),
        exercises_passed=sum(row.passed_at is not None for row in rows),
        exercises_total=len(exercises),
        points_earned=round(sum(row.best_score for row in rows), 2),
    )
