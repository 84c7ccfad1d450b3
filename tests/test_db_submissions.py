"""The submission state machine: create, claim, store the result, recover at start-up."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from db import users
from db.models import Artifact, ExerciseProgress, Submission, TestResult
from db.submissions import (
    claim_submission, create_submission, fail_stale, get_submission, list_submissions,
    requeue_running, still_queued, store_result, unfinished_ids,
)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

TESTS = [
    {"name": "test_shapes", "visibility": "public", "outcome": "passed", "message": "", "duration_s": 0.01},
    {"name": "test_rows_sum_to_one", "visibility": "public", "outcome": "failed",
     "message": "rows sum to 2.0, expected 1.0", "duration_s": 0.02},
    {"name": "test_masked", "visibility": "hidden", "outcome": "passed", "message": "", "duration_s": 0.03},
]
ARTIFACTS = [{"name": "loss", "kind": "line", "payload": json.dumps({"y": [3.0, 2.0, 1.5]})}]


def _submit(session: Session, user_id: int, mode: str = "submit", exercise_id: str = "attention") -> int:
    sub = create_submission(session, user_id=user_id, exercise_id=exercise_id, mode=mode, code="x = 1")
    session.commit()
    return sub.id


def _store(session: Session, sub_id: int, status: str = "failed", score: float = 6.67,
           **kw: Any) -> bool:
    kw.setdefault("tests", TESTS)
    kw.setdefault("artifacts", ARTIFACTS)
    return store_result(session, sub_id, status=status, score=score, points_possible=10.0, **kw)


def _count(session: Session, model: type[Any]) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_create_submission_is_queued_and_flushed_not_committed(db_sessions, learner_id) -> None:
    with db_sessions() as session:
        sub = create_submission(session, user_id=learner_id, exercise_id="attention", mode="run", code="x")
        assert sub.id is not None and sub.status == "queued"
        assert sub.started_at is None and sub.finished_at is None and sub.created_at.tzinfo
    with db_sessions() as session:
        assert _count(session, Submission) == 0


def test_a_submission_refused_on_arrival_is_finished_at_once(db_session: Session, learner_id) -> None:
    sub = create_submission(db_session, user_id=learner_id, exercise_id="attention", mode="submit",
                            code="x" * 10, status="error", error_reason="Your code is too large.")
    assert sub.status == "error" and sub.error_reason == "Your code is too large."
    assert sub.started_at is not None and sub.started_at == sub.finished_at


@pytest.mark.parametrize("field, value", [("mode", "grade"), ("status", "done")])
def test_create_submission_refuses_unknown_modes_and_statuses(db_session: Session, learner_id,
                                                              field: str, value: str) -> None:
    kwargs: dict[str, Any] = {"mode": "run", "status": "queued", field: value}
    with pytest.raises(ValueError, match=field):
        create_submission(db_session, user_id=learner_id, exercise_id="a", code="", **kwargs)


def test_claim_moves_queued_to_running_once(db_sessions: sessionmaker[Session], learner_id) -> None:
    with db_sessions() as session:
        sub_id = _submit(session, learner_id)
        claimed = claim_submission(session, sub_id)
        assert claimed is not None and claimed.status == "running" and claimed.started_at
    with db_sessions() as other_worker:
        assert claim_submission(other_worker, sub_id) is None
        assert claim_submission(other_worker, 12345) is None


def test_one_per_learner_leaves_a_job_queued_while_the_learners_other_runs_in_its_queue(
        db_sessions: sessionmaker[Session], learner_id) -> None:
    with db_sessions() as session:
        first, second = _submit(session, learner_id), _submit(session, learner_id)
        other_queue = create_submission(session, user_id=learner_id, exercise_id="gpt", mode="submit", code="x = 1",
                                        queue="long").id
        other_learner = users.create_user(session, "grace", "password-123").id
        theirs = _submit(session, other_learner)
        session.commit()
    with db_sessions() as session:
        assert claim_submission(session, first, one_per_learner=True) is not None
        assert claim_submission(session, second, one_per_learner=True) is None
        assert still_queued(session, second)
        # Another lane, and another learner, are not held back.
        assert claim_submission(session, other_queue, one_per_learner=True) is not None
        assert claim_submission(session, theirs, one_per_learner=True) is not None
        _store(session, first)
        assert claim_submission(session, second, one_per_learner=True) is not None
        assert not still_queued(session, second)


def test_concurrent_claims_have_exactly_one_winner(db_sessions: sessionmaker[Session], learner_id) -> None:
    with db_sessions() as session:
        sub_id = _submit(session, learner_id)
    barrier = threading.Barrier(8)
    wins: list[bool] = []

    def worker() -> None:
        with db_sessions() as session:
            barrier.wait()
            wins.append(claim_submission(session, sub_id) is not None)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(wins) == [False] * 7 + [True]


def test_store_result_writes_verdict_tests_and_artifacts(db_sessions: sessionmaker[Session],
                                                         learner_id) -> None:
    with db_sessions() as session:
        sub_id = _submit(session, learner_id, mode="run")
        claim_submission(session, sub_id)
        assert _store(session, sub_id, output="3 tests, 1 failed", error_reason=None) is True
    with db_sessions() as session:
        sub = get_submission(session, sub_id)
    assert sub is not None  # read below with the session closed: everything was loaded
    assert (sub.status, sub.score, sub.tests_passed, sub.tests_total) == ("failed", 6.67, 2, 3)
    assert sub.output == "3 tests, 1 failed" and sub.finished_at and sub.finished_at >= sub.started_at
    assert [(t.name, t.visibility, t.outcome) for t in sub.tests] == [
        (t["name"], t["visibility"], t["outcome"]) for t in TESTS]
    assert sub.tests[1].message == "rows sum to 2.0, expected 1.0"
    assert [(a.name, a.kind, json.loads(a.payload)) for a in sub.artifacts] == [
        ("loss", "line", {"y": [3.0, 2.0, 1.5]})]


def test_store_result_is_idempotent(db_session: Session, learner_id) -> None:
    sub_id = _submit(db_session, learner_id)
    claim_submission(db_session, sub_id)
    assert _store(db_session, sub_id, status="passed", score=10.0) is True
    assert _store(db_session, sub_id, status="error", score=0.0, error_reason="late duplicate") is False
    sub = get_submission(db_session, sub_id)
    assert sub is not None and sub.status == "passed" and sub.error_reason is None
    assert len(sub.tests) == 3 and len(sub.artifacts) == 1
    assert db_session.scalars(select(ExerciseProgress.attempts)).all() == [1]


def test_store_result_accepts_an_unclaimed_submission(db_session: Session, learner_id) -> None:
    sub_id = _submit(db_session, learner_id)
    assert _store(db_session, sub_id, status="error", score=0.0, tests=[], artifacts=[],
                  error_reason="The checker crashed; press Submit again.") is True
    sub = get_submission(db_session, sub_id)
    assert sub is not None and sub.status == "error" and sub.started_at is not None
    assert (sub.tests_passed, sub.tests_total) == (0, 0)


def test_a_failure_while_writing_rolls_everything_back(db_session: Session, learner_id) -> None:
    sub_id = _submit(db_session, learner_id)
    claim_submission(db_session, sub_id)
    bad = ARTIFACTS + [{"name": "attention", "kind": "hologram", "payload": "{}"}]
    with pytest.raises(IntegrityError, match="ck_artifacts_kind"):
        _store(db_session, sub_id, status="passed", score=10.0, artifacts=bad)
    # Nothing half-written: not the verdict, the test rows, the good artifact, nor progress.
    db_session.expire_all()
    sub = get_submission(db_session, sub_id)
    assert sub is not None and sub.status == "running" and sub.score is None and sub.finished_at is None
    assert (_count(db_session, TestResult), _count(db_session, Artifact),
            _count(db_session, ExerciseProgress)) == (0, 0, 0)
    # and the session is usable again: a good result can still be stored.
    assert _store(db_session, sub_id, status="passed", score=10.0) is True


def test_submit_results_update_exercise_progress(db_session: Session, learner_id) -> None:
    def graded(status: str, score: float) -> ExerciseProgress:
        sub_id = _submit(db_session, learner_id)
        claim_submission(db_session, sub_id)
        _store(db_session, sub_id, status=status, score=score)
        db_session.expire_all()
        return db_session.scalars(select(ExerciseProgress)).one()

    first = graded("failed", 4.0)
    assert (first.attempts, first.best_score, first.passed_at) == (1, 4.0, None)
    second = graded("passed", 10.0)
    assert (second.attempts, second.best_score) == (2, 10.0) and second.passed_at is not None
    passed_at = second.passed_at
    third = graded("failed", 6.0)
    assert (third.attempts, third.best_score, third.passed_at) == (3, 10.0, passed_at)
    assert third.last_submission_at and third.last_submission_at > passed_at
    assert graded("error", 0.0).attempts == 4


def test_run_results_leave_progress_alone(db_session: Session, learner_id) -> None:
    sub_id = _submit(db_session, learner_id, mode="run")
    assert _store(db_session, sub_id, status="passed", score=10.0) is True
    assert _count(db_session, ExerciseProgress) == 0


@pytest.mark.parametrize("status, score, match", [
    ("running", 1.0, "not final"), ("passed", 10.5, "outside"), ("failed", -1.0, "outside")])
def test_store_result_refuses_bad_input(db_session: Session, learner_id, status: str, score: float,
                                        match: str) -> None:
    sub_id = _submit(db_session, learner_id)
    with pytest.raises(ValueError, match=match):
        _store(db_session, sub_id, status=status, score=score)


def test_start_up_recovery(db_session: Session, learner_id) -> None:
    first, second, third, done = (_submit(db_session, learner_id) for _ in range(4))
    claim_submission(db_session, second)
    claim_submission(db_session, done)
    _store(db_session, done, status="passed", score=10.0)
    assert unfinished_ids(db_session) == [first, second, third]
    assert requeue_running(db_session) == [first, second, third]
    sub = db_session.get(Submission, second, populate_existing=True)
    assert sub is not None and sub.status == "queued" and sub.started_at is None
    assert fail_stale(db_session, "The app restarted; press Submit again.") == [first, second, third]
    assert unfinished_ids(db_session) == []
    stale = get_submission(db_session, first)
    assert stale is not None and stale.status == "error" and stale.finished_at is not None
    assert stale.error_reason == "The app restarted; press Submit again."
    assert get_submission(db_session, done).status == "passed"  # type: ignore[union-attr]


def test_list_submissions_newest_first_filtered_and_limited(db_session: Session, learner_id) -> None:
    a1 = _submit(db_session, learner_id, exercise_id="a")
    b1 = _submit(db_session, learner_id, exercise_id="b")
    a2 = _submit(db_session, learner_id, exercise_id="a")
    assert [s.id for s in list_submissions(db_session, learner_id)] == [a2, b1, a1]
    assert [s.id for s in list_submissions(db_session, learner_id, "a")] == [a2, a1]
    assert [s.id for s in list_submissions(db_session, learner_id, limit=1)] == [a2]
    assert list_submissions(db_session, learner_id + 1) == []


def test_get_submission_of_an_unknown_id_is_none(db_session: Session) -> None:
    assert get_submission(db_session, 404) is None


def test_names_longer_than_their_columns_are_cut_to_fit(db_session: Session, learner_id) -> None:
    # PostgreSQL refuses a VARCHAR overflow where SQLite stores it: a test parametrized with a long
    # string id, or a long host name, must not make the verdict unstorable on one of them.
    sub_id = _submit(db_session, learner_id)
    worker = "w" * 300
    assert claim_submission(db_session, sub_id, worker=worker) is not None
    long_test = dict(TESTS[0], name="test_tokenizes[" + "x" * 400 + "]")
    long_artifact = dict(ARTIFACTS[0], name="loss-" + "y" * 400)
    assert _store(db_session, sub_id, tests=[long_test], artifacts=[long_artifact], status="passed", score=10.0)
    stored = get_submission(db_session, sub_id)
    assert stored.worker == worker[:128]
    assert stored.tests[0].name == long_test["name"][:255]
    assert stored.artifacts[0].name == long_artifact["name"][:255]


def test_nul_characters_are_stored_as_replacement_characters(db_session: Session, learner_id) -> None:
    # PostgreSQL cannot hold NUL in text at all; a learner's code or its output may contain one.
    sub = create_submission(db_session, user_id=learner_id, exercise_id="x", mode="run", code="x = '\x00'")
    db_session.commit()
    failing = dict(TESTS[1], message="got b'\x00\x00'")
    plot = dict(ARTIFACTS[0], name="loss\x00")  # the learner's code can name an artifact too
    assert _store(db_session, sub.id, tests=[failing], artifacts=[plot], output="printed \x00", score=0.0)
    db_session.expire_all()
    stored = get_submission(db_session, sub.id)
    assert (stored.code, stored.output) == ("x = '\ufffd'", "printed \ufffd")
    assert stored.tests[0].message == "got b'\ufffd\ufffd'"
    assert stored.artifacts[0].name == "loss\ufffd"
