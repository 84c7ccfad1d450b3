"""The grading service and local queue with a real database file and the real sandbox."""
from __future__ import annotations

import time

import pytest

from grading.jobs import grade_submission
from grading.queue import LocalPool
from grading.service import SubmitError
from db import submissions
from portal.context import build_context

from conftest import make_settings
from service_fixtures import new_user, wait_final

pytestmark = [pytest.mark.slow, pytest.mark.database]


@pytest.fixture
def tiny_ctx(tmp_path, content_tree):
    context = build_context(make_settings(tmp_path / "data", content_tree))
    yield context
    context.close()


def test_a_submission_is_stored_as_queued_before_its_job_starts(tiny_ctx):
    seen = []

    class Recording(LocalPool):
        def enqueue(self, submission_id, queue="cpu", owner=None):
            with tiny_ctx.sessions() as session:
                sub = submissions.get_submission(session, submission_id)
                seen.append((sub.status, sub.queue, queue, owner == sub.user_id))
            super().enqueue(submission_id, queue, owner)

    tiny_ctx.grading.backend = Recording(tiny_ctx.backend.ctx, workers=1)
    user_id = new_user(tiny_ctx)
    receipt = tiny_ctx.grading.submit(user_id=user_id, exercise_id="double",
                                      code="def double(x):\n    return x * 2\n", mode="submit")
    view = wait_final(tiny_ctx, user_id, receipt.submission_id)
    tiny_ctx.grading.backend.shutdown()
    assert seen == [("queued", "cpu", "cpu", True)]
    assert view.status == "passed" and view.score == 10 and len(view.tests) == 3
    assert view.artifacts[0]["kind"] == "line"
    assert "torch.randn(rows, 3)" not in view.output  # Submit shows output, never hidden tests' source


def test_run_mode_shows_output_and_does_not_count_as_an_attempt(tiny_ctx):
    from db import progress

    user_id = new_user(tiny_ctx)
    receipt = tiny_ctx.grading.submit(user_id=user_id, exercise_id="double",
                                      code="def double(x):\n    return x * 3\n", mode="run")
    view = wait_final(tiny_ctx, user_id, receipt.submission_id)
    assert view.status == "failed" and view.output and "test_doubles_a_vector" in view.output
    with tiny_ctx.sessions() as session:
        assert progress.exercise_progress(session, user_id) == {}


def test_a_learner_cannot_read_another_learners_verdict(tiny_ctx):
    ada, bob = new_user(tiny_ctx, "ada"), new_user(tiny_ctx, "bob")
    receipt = tiny_ctx.grading.submit(user_id=ada, exercise_id="double", code="x = (", mode="run")
    assert tiny_ctx.grading.verdict(user_id=bob, submission_id=receipt.submission_id) is None
    assert tiny_ctx.grading.verdict(user_id=ada, submission_id=receipt.submission_id).status == "error"


def test_rejected_input_is_stored_with_its_reason_and_never_queued(tiny_ctx):
    user_id = new_user(tiny_ctx)
    receipt = tiny_ctx.grading.submit(user_id=user_id, exercise_id="double", code=b"\xff\xfe", mode="submit")
    assert receipt.status == "error" and "not UTF-8" in receipt.message
    with tiny_ctx.sessions() as session:
        sub = submissions.get_submission(session, receipt.submission_id)
        assert sub.status == "error" and sub.finished_at is not None and sub.tests == []
    assert tiny_ctx.backend.pending() == 0


def test_unknown_exercises_and_modes_are_refused_without_storing_anything(tiny_ctx):
    user_id = new_user(tiny_ctx)
    with pytest.raises(SubmitError, match="no exercise 'nope'"):
        tiny_ctx.grading.submit(user_id=user_id, exercise_id="nope", code="x = 1", mode="run")
    with pytest.raises(SubmitError, match="mode"):
        tiny_ctx.grading.submit(user_id=user_id, exercise_id="double", code="x = 1", mode="grade")
    with tiny_ctx.sessions() as session:
        assert submissions.list_submissions(session, user_id) == []


def test_a_restart_finishes_submissions_left_queued_or_running(tmp_path, content_tree):
    settings = make_settings(tmp_path / "data", content_tree)
    first = build_context(settings, recover=False)
    user_id = new_user(first)
    with first.sessions() as session:
        ids = [submissions.create_submission(session, user_id=user_id, exercise_id="double", mode="run",
                                             code="def double(x):\n    return x * 2\n").id for _ in range(2)]
        session.commit()
    with first.sessions() as session:  # the second one was mid-run when the process died
        assert submissions.claim_submission(session, ids[1]) is not None
    first.close()

    second = build_context(settings)
    try:
        assert sorted(second.recovered) == sorted(ids)
        for submission_id in ids:
            assert wait_final(second, user_id, submission_id).status == "passed"
    finally:
        second.close()


def test_a_submission_is_graded_once_even_if_enqueued_twice(tiny_ctx):
    user_id = new_user(tiny_ctx)
    with tiny_ctx.sessions() as session:
        sub_id = submissions.create_submission(session, user_id=user_id, exercise_id="double", mode="run",
                                               code="def double(x):\n    return x * 2\n").id
        session.commit()
    ctx = tiny_ctx.backend.ctx
    assert grade_submission(ctx, sub_id) == "passed"
    assert grade_submission(ctx, sub_id) is None  # already claimed: not graded again
    with tiny_ctx.sessions() as session:
        assert len(submissions.get_submission(session, sub_id).tests) == 1


def test_an_exercise_removed_from_the_course_ends_in_a_readable_error(tiny_ctx):
    user_id = new_user(tiny_ctx)
    with tiny_ctx.sessions() as session:
        sub_id = submissions.create_submission(session, user_id=user_id, exercise_id="gone", mode="run",
                                               code="x = 1\n").id
        session.commit()
    assert grade_submission(tiny_ctx.backend.ctx, sub_id) == "error"
    view = tiny_ctx.grading.verdict(user_id=user_id, submission_id=sub_id)
    assert "no longer exists" in view.error_reason


def test_many_learners_submitting_at_the_same_moment_are_all_stored(tiny_ctx):
    from concurrent.futures import ThreadPoolExecutor

    from cohort_fixtures import seed

    world = seed(tiny_ctx.sessions)  # cohort members: the pacing rules read before each insert
    learners = [world.ada.id, world.bob.id, world.cyd.id, world.dee.id]

    def submit(i):
        # Rejected input is stored without grading, so this exercises only the database path.
        return tiny_ctx.grading.submit(user_id=learners[i % 4], exercise_id="double", code="def f(:\n", mode="submit")

    with ThreadPoolExecutor(max_workers=24) as pool:
        receipts = list(pool.map(submit, range(96)))
    assert {r.status for r in receipts} == {"error"} and len({r.submission_id for r in receipts}) == 96


def test_await_final_returns_with_the_verdict_and_gives_up_at_its_timeout(tiny_ctx):
    user_id = new_user(tiny_ctx)
    other = new_user(tiny_ctx, "grace")
    receipt = tiny_ctx.grading.submit(user_id=user_id, exercise_id="double",
                                      code="def double(x):\n    return x * 2\n", mode="run")
    assert tiny_ctx.grading.await_final(user_id=user_id, submission_id=receipt.submission_id, timeout_s=60)
    assert tiny_ctx.grading.verdict(user_id=user_id, submission_id=receipt.submission_id).status == "passed"
    # Someone else's submission is never waited for.
    started = time.monotonic()
    assert not tiny_ctx.grading.await_final(user_id=other, submission_id=receipt.submission_id, timeout_s=5)
    assert time.monotonic() - started < 1

    class Stalled(LocalPool):
        def enqueue(self, submission_id, queue="cpu", owner=None):
            pass  # nothing grades it: it stays queued

    tiny_ctx.grading.backend = Stalled(tiny_ctx.backend.ctx, workers=1)
    stalled = tiny_ctx.grading.submit(user_id=user_id, exercise_id="double",
                                      code="def double(x):\n    return x * 2\n", mode="run")
    started = time.monotonic()
    assert not tiny_ctx.grading.await_final(user_id=user_id, submission_id=stalled.submission_id, timeout_s=0.3)
    assert 0.3 <= time.monotonic() - started < 2
    tiny_ctx.grading.backend.shutdown()
