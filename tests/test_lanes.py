"""Lanes: short work is never stuck behind long work, one learner cannot fill the slots, a newer
Run replaces a waiting one, and a queued verdict says where it stands. The rules on their own,
then through a real platform (database, local pool, warm sandbox)."""
from __future__ import annotations

import time

import pytest

from conftest import make_settings, write_content, write_exercise
from db import users
from db.models import Submission
from db.submissions import REPLACED_RUN
from grading.lanes import (GPU, LONG, SHORT, Waiting, lane_for, next_job, ordinal, slot_lanes,
                           wait_estimate_s)
from portal.context import build_context

pytestmark = pytest.mark.database

QUICK = "def double(x):\n    return x * 2\n"
SLOW = "import time\n\ndef double(x):\n    time.sleep({s})\n    return x * 2\n"


# --- the rules ----------------------------------------------------------------------------------

@pytest.mark.parametrize("time_s, device, own_text, gpu, lane", [
    (30, "cpu", False, False, SHORT),
    (60, "cpu", False, True, SHORT),
    (61, "cpu", False, False, LONG),
    (30, "cpu", True, False, LONG),            # a run on the learner's own text trains: long
    (240, "gpu-preferred", False, True, GPU),
    (240, "gpu-preferred", False, False, LONG),  # no GPU worker: its CPU profile, in the long lane
    (30, "gpu", False, False, SHORT),
])
def test_the_lane_of_a_job(time_s, device, own_text, gpu, lane):
    assert lane_for(time_s, device=device, own_text=own_text, gpu_available=gpu) == lane


def test_long_work_never_holds_every_slot():
    assert slot_lanes(2, 1) == [frozenset({SHORT}), frozenset({SHORT, LONG, GPU})]
    assert [len(lanes) for lanes in slot_lanes(4, 2)] == [1, 1, 3, 3]
    assert slot_lanes(1, 1) == [frozenset({SHORT, LONG, GPU})]  # one slot: nothing to reserve
    assert slot_lanes(3, 9) == slot_lanes(3, 3)


def test_the_next_job_is_the_oldest_a_slot_serves_of_a_learner_not_already_running():
    waiting = [Waiting(1, LONG, 7), Waiting(2, SHORT, 7), Waiting(3, SHORT, 8), Waiting(4, SHORT, None)]
    short_only = frozenset({SHORT})
    assert next_job(waiting, short_only, {}) == waiting[1]
    assert next_job(waiting, short_only, {(SHORT, 7): 1}) == waiting[2]
    assert next_job(waiting, short_only, {(SHORT, 7): 1, (SHORT, 8): 1}) == waiting[3]
    assert next_job(waiting[:3], short_only, {(SHORT, 7): 1, (SHORT, 8): 1}) is None
    assert next_job(waiting, frozenset({SHORT, LONG}), {(LONG, 7): 1}) == waiting[1]  # per lane
    assert next_job([], short_only, {}) is None


def test_a_wait_estimate_counts_the_rounds_ahead():
    assert wait_estimate_s(1, 2, [1.0, 1.0, 9.0]) == pytest.approx(1.5)     # median 1 s: half a round, then its own
    assert wait_estimate_s(3, 2, [1.0]) == pytest.approx(2.5)
    assert wait_estimate_s(1, 1, []) is None
    assert wait_estimate_s(1, 0, [1.0]) is None
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 102)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "102nd"]


# --- through a real platform --------------------------------------------------------------------

@pytest.fixture
def platform(tmp_path):
    """Two slots, one of which may take long work; a short exercise and a long one (limit 120 s)."""
    content = write_content(tmp_path / "content")
    folder = write_exercise(content, "slow-double")
    (folder / "exercise.yaml").write_text((folder / "exercise.yaml").read_text().replace("time_s: 30", "time_s: 120"))
    ctx = build_context(make_settings(tmp_path / "data", content, CHECKER_WORKERS="2", CHECKER_LONG_SLOTS="1"))
    people = {}
    with ctx.sessions() as session:
        for name in ("ada", "bob", "cyd"):
            people[name] = users.create_user(session, name, "password-123").id
        session.commit()
    yield ctx, people
    ctx.close()


def wait_final(ctx, submission_id: int, timeout_s: float = 120) -> Submission:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with ctx.sessions() as session:
            sub = session.get(Submission, submission_id)
            if sub.status in ("passed", "failed", "error"):
                session.expunge(sub)
                return sub
        time.sleep(0.05)
    raise AssertionError(f"submission {submission_id} not final after {timeout_s} s")


def wait_running(ctx, user_id: int, submission_id: int) -> None:
    deadline = time.monotonic() + 30
    while ctx.grading.verdict(user_id=user_id, submission_id=submission_id).status == "queued":
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.02)


def submit(ctx, user_id: int, exercise_id: str, code: str, mode: str = "run") -> int:
    receipt = ctx.grading.submit(user_id=user_id, exercise_id=exercise_id, code=code, mode=mode)
    assert receipt.status == "queued", receipt
    return receipt.submission_id


def test_a_short_job_goes_past_long_work_that_holds_its_slot(platform):
    ctx, people = platform
    first_long = submit(ctx, people["ada"], "slow-double", SLOW.format(s=6))
    wait_running(ctx, people["ada"], first_long)
    second_long = submit(ctx, people["bob"], "slow-double", SLOW.format(s=6))
    time.sleep(0.5)
    queued = ctx.grading.verdict(user_id=people["bob"], submission_id=second_long)
    assert queued.status == "queued" and queued.lane == LONG and queued.queue_position == 1
    assert queued.waiting_note.startswith("1st in the long-job lane")
    short = submit(ctx, people["cyd"], "double", QUICK)
    done = wait_final(ctx, short)
    assert done.status == "passed" and done.queue == SHORT
    with ctx.sessions() as session:
        # Both long jobs are still waiting or running: the short one did not queue behind them.
        assert {session.get(Submission, i).status for i in (first_long, second_long)} <= {"queued", "running"}
    assert wait_final(ctx, first_long).status == "passed"
    assert wait_final(ctx, second_long).status == "passed"


def test_one_learner_runs_one_job_per_lane_at_a_time(platform):
    ctx, people = platform
    slow_short = SLOW.format(s=2)
    first = submit(ctx, people["ada"], "double", slow_short, mode="submit")
    second = submit(ctx, people["ada"], "double", slow_short, mode="submit")
    other = submit(ctx, people["bob"], "double", QUICK, mode="submit")
    a, b, c = (wait_final(ctx, i) for i in (first, second, other))
    assert a.status == b.status == c.status == "passed"
    assert b.started_at >= a.finished_at, "ada's second job ran beside her first"
    assert c.started_at < a.finished_at, "bob waited behind ada although a slot was free"


def test_a_newer_run_replaces_the_learners_run_still_waiting(platform):
    ctx, people = platform
    blocker = submit(ctx, people["ada"], "double", SLOW.format(s=3))   # ada's one short job at a time
    wait_running(ctx, people["ada"], blocker)
    older = submit(ctx, people["ada"], "double", "def double(x):\n    return x * 3\n")
    newer = submit(ctx, people["ada"], "double", QUICK)
    replaced = wait_final(ctx, older)
    assert replaced.status == "error" and replaced.error_reason == REPLACED_RUN
    assert wait_final(ctx, newer).status == "passed"
    assert wait_final(ctx, blocker).status == "passed"  # a running job is never replaced
    kept = submit(ctx, people["ada"], "double", QUICK, mode="submit")
    submit(ctx, people["ada"], "double", QUICK, mode="submit")
    assert wait_final(ctx, kept).status == "passed"     # a Submit is an attempt: never replaced
