"""Enrollments, lessons read, per-exercise progress summaries, and editor drafts."""
from __future__ import annotations

import pytest

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.drafts import load_draft, save_draft
from db.models import Draft, LessonProgress
from db.progress import (
    ProgressSummary, enroll, enrolled_track_ids, exercise_progress, lessons_done,
    mark_lesson_done, progress_summary,
)
from db.submissions import claim_submission, create_submission, store_result
from db.users import create_user

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


def _graded_submit(session: Session, user_id: int, exercise_id: str, status: str, score: float) -> None:
    sub = create_submission(session, user_id=user_id, exercise_id=exercise_id, mode="submit", code="")
    session.commit()
    claim_submission(session, sub.id)
    store_result(session, sub.id, status=status, score=score, tests=[], artifacts=[],
                 points_possible=10.0)


def test_enroll_is_idempotent_and_keeps_the_order(db_session: Session, learner_id: int) -> None:
    enroll(db_session, learner_id, "transformers")
    enroll(db_session, learner_id, "cnn-basics")
    enroll(db_session, learner_id, "transformers")
    db_session.commit()
    assert enrolled_track_ids(db_session, learner_id) == ["transformers", "cnn-basics"]


def test_mark_lesson_done_keeps_the_first_time(db_session: Session, learner_id: int) -> None:
    mark_lesson_done(db_session, learner_id, "softmax")
    db_session.commit()
    row = db_session.scalars(select(LessonProgress)).one()
    first = row.completed_at - timedelta(hours=1)
    row.completed_at = first
    db_session.commit()
    mark_lesson_done(db_session, learner_id, "softmax")
    mark_lesson_done(db_session, learner_id, "attention")
    db_session.commit()
    db_session.expire_all()
    assert lessons_done(db_session, learner_id) == {"softmax", "attention"}
    assert db_session.scalars(select(LessonProgress.completed_at)
                              .where(LessonProgress.lesson_id == "softmax")).one() == first


def test_progress_belongs_to_its_user(db_session: Session, learner_id: int) -> None:
    other = create_user(db_session, "grace", "correct horse").id
    mark_lesson_done(db_session, other, "softmax")
    enroll(db_session, other, "transformers")
    _graded_submit(db_session, other, "attention", "passed", 10.0)
    assert lessons_done(db_session, learner_id) == set()
    assert enrolled_track_ids(db_session, learner_id) == []
    assert exercise_progress(db_session, learner_id) == {}
    assert set(exercise_progress(db_session, other)) == {"attention"}


def test_progress_summary_counts_only_the_given_ids(db_session: Session, learner_id: int) -> None:
    for lesson in ("softmax", "attention-intro", "not-in-this-track"):
        mark_lesson_done(db_session, learner_id, lesson)
    db_session.commit()
    _graded_submit(db_session, learner_id, "softmax-ex", "passed", 10.0)
    _graded_submit(db_session, learner_id, "attention-ex", "failed", 2.5)
    _graded_submit(db_session, learner_id, "attention-ex", "failed", 7.5)
    _graded_submit(db_session, learner_id, "elsewhere-ex", "passed", 10.0)
    summary = progress_summary(db_session, learner_id,
                               exercise_ids=["softmax-ex", "attention-ex", "gpt-ex"],
                               lesson_ids=["softmax", "attention-intro", "gpt", "softmax"])
    assert summary == ProgressSummary(lessons_done=2, lessons_total=3, exercises_passed=1,
                                      exercises_total=3, points_earned=17.5)
    assert exercise_progress(db_session, learner_id)["attention-ex"].attempts == 2


def test_drafts_round_trip(db_session: Session, learner_id: int) -> None:
    assert load_draft(db_session, learner_id, "attention") is None
    save_draft(db_session, learner_id, "attention", "def attention(q, k, v):\n    pass\n")
    db_session.commit()
    assert load_draft(db_session, learner_id, "attention") == "def attention(q, k, v):\n    pass\n"
    save_draft(db_session, learner_id, "attention", "# second try\n")
    db_session.commit()
    assert load_draft(db_session, learner_id, "attention") == "# second try\n"
    assert load_draft(db_session, learner_id, "softmax") is None
    assert len(db_session.scalars(select(Draft)).all()) == 1


def test_saving_unchanged_code_writes_nothing(db_session: Session, learner_id: int) -> None:
    save_draft(db_session, learner_id, "attention", "x = 1\n")
    db_session.commit()
    draft = db_session.scalars(select(Draft)).one()
    earlier = draft.updated_at - timedelta(minutes=5)
    draft.updated_at = earlier
    db_session.commit()
    save_draft(db_session, learner_id, "attention", "x = 1\n")
    db_session.commit()
    db_session.expire_all()
    assert db_session.scalars(select(Draft.updated_at)).one() == earlier
    save_draft(db_session, learner_id, "attention", "x = 2\n")
    db_session.commit()
    db_session.expire_all()
    assert db_session.scalars(select(Draft.updated_at)).one() > earlier


def test_drafts_are_per_user(db_session: Session, learner_id: int) -> None:
    other = create_user(db_session, "grace", "correct horse").id
    save_draft(db_session, learner_id, "attention", "ada's code")
    save_draft(db_session, other, "attention", "grace's code")
    db_session.commit()
    assert load_draft(db_session, learner_id, "attention") == "ada's code"
    assert load_draft(db_session, other, "attention") == "grace's code"
