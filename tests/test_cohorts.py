"""Cohort pacing, lateness, access rules, the lead's dashboard, drill-down and gradebook."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta, timezone

import pytest

from courseware.loader import load_bank
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from db.models import Cohort, Submission
from portal import cohorts as cohort_admin
from portal.access import AccessDenied
from portal.dashboard import cohort_dashboard
from portal.drilldown import attempts, diff, hint_uses
from portal.exercise import hints_revealed, reveal_hint
from portal.gradebook import gradebook_csv, gradebook_rows
from portal.learner_progress import my_progress, streak
from portal.pacing import PacingPolicy, minutes_late, opens_on

from cohort_fixtures import graded, seed

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


@pytest.fixture
def world(db_url, content_tree):
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    bank = load_bank(content_tree)
    yield sessions, bank, seed(sessions)
    engine.dispose()


def test_weekly_pacing_opens_a_module_per_week_and_all_open_opens_everything():
    from courseware.spec import Module

    cohort = Cohort(name="c", track_id="t", start_date=date(2026, 1, 5), pacing="weekly")
    week3 = Module("m3", "Week 3", 3, "", ())
    assert opens_on(cohort, week3) == date(2026, 1, 19)
    cohort.pacing = "all-open"
    assert opens_on(cohort, week3) == date(2026, 1, 5)


def test_minutes_late_rounds_up_and_on_time_is_none():
    due = datetime(2026, 1, 5, 23, 59, 59, tzinfo=timezone.utc)
    assert minutes_late(due, due) is None
    assert minutes_late(due, due + timedelta(seconds=1)) == 1
    assert minutes_late(due, due + timedelta(hours=2)) == 120
    assert minutes_late(None, due) is None


def test_a_locked_module_refuses_with_its_opening_date(world):
    sessions, bank, w = world
    with sessions() as session:
        session.get(Cohort, w.alpha).start_date = date.today() + timedelta(days=3)
        session.commit()
    policy = PacingPolicy(bank)
    with sessions() as session:
        reason = policy.lock_reason(session, w.ada.id, "double", datetime.now(timezone.utc))
    assert reason and "opens on" in reason and "Alpha" in reason
    with sessions() as session:  # the lead is not a learner of the cohort: nothing is locked for them
        assert policy.lock_reason(session, w.lena.id, "double", datetime.now(timezone.utc)) is None


def test_late_work_is_recorded_and_an_extension_moves_one_learners_due_date(world):
    sessions, bank, w = world
    policy = PacingPolicy(bank)
    yesterday = date.today() - timedelta(days=1)
    cohort_admin.set_deadline(sessions, w.lena, w.alpha, "week-1", yesterday)  # the module's due date
    now = datetime.now(timezone.utc)
    with sessions() as session:
        late = policy.late_minutes(session, w.ada.id, "double", now)
    assert late is not None and late > 0
    cohort_admin.grant_extension(sessions, w.lena, w.alpha, w.ada.id, "double", date.today() + timedelta(days=2))
    with sessions() as session:
        assert policy.late_minutes(session, w.ada.id, "double", now) is None     # extended
        assert policy.late_minutes(session, w.bob.id, "double", now) > 0         # not extended
    cohort_admin.set_deadline(sessions, w.lena, w.alpha, "double", date.today() + timedelta(days=5))
    with sessions() as session:  # an exercise's own due date beats its module's
        assert policy.late_minutes(session, w.bob.id, "double", now) is None


def test_the_grading_service_records_lateness_and_never_refuses_late_work(tmp_path, content_tree):
    from db import submissions
    from portal.context import build_context

    from conftest import make_settings

    ctx = build_context(make_settings(tmp_path / "data", content_tree))
    try:
        w = seed(ctx.sessions)
        cohort_admin.set_deadline(ctx.sessions, w.lena, w.alpha, "double", date.today() - timedelta(days=2))
        receipt = ctx.grading.submit(user_id=w.ada.id, exercise_id="double", code="def double(x):\n    return x*2\n",
                                     mode="submit")
        with ctx.sessions() as session:
            late = submissions.get_submission(session, receipt.submission_id).late_minutes
        assert receipt.status == "queued" and late >= 24 * 60
    finally:
        ctx.close()


@pytest.mark.parametrize("who, cohort, allowed", [
    ("root", "alpha", True), ("root", "beta", True), ("lena", "alpha", True), ("lena", "beta", False),
    ("otto", "alpha", False), ("ada", "alpha", False), ("dee", "beta", False)])
def test_only_the_cohorts_lead_or_an_admin_sees_its_dashboard_and_gradebook(world, who, cohort, allowed):
    sessions, bank, w = world
    viewer = {"root": w.admin, "lena": w.lena, "otto": w.otto, "ada": w.ada, "dee": w.dee}[who]
    cohort_id = getattr(w, cohort)
    calls = [lambda: cohort_dashboard(sessions, bank, viewer, cohort_id, today=date.today()),
             lambda: gradebook_rows(sessions, bank, viewer, cohort_id),
             lambda: cohort_admin.set_deadline(sessions, viewer, cohort_id, "double", date.today()),
             lambda: cohort_admin.deadlines(sessions, viewer, cohort_id)]
    for call in calls:
        if allowed:
            call()
        else:
            with pytest.raises(AccessDenied):
                call()


@pytest.mark.parametrize("who, learner, allowed", [
    ("ada", "ada", True), ("ada", "bob", False), ("lena", "ada", True), ("lena", "dee", False),
    ("otto", "dee", True), ("otto", "ada", False), ("root", "dee", True)])
def test_a_learners_attempts_are_visible_to_them_their_lead_and_admins_only(world, who, learner, allowed):
    sessions, bank, w = world
    viewer = {"root": w.admin, "lena": w.lena, "otto": w.otto, "ada": w.ada}[who]
    target = getattr(w, learner).id
    graded(sessions, target, "double", "failed", score=3)
    for call in (lambda: attempts(sessions, viewer, target), lambda: hint_uses(sessions, viewer, target)):
        if allowed:
            assert call() is not None
        else:
            with pytest.raises(AccessDenied):
                call()


def test_an_extension_only_goes_to_a_learner_of_the_cohort(world):
    sessions, bank, w = world
    with pytest.raises(AccessDenied, match="not in this cohort"):
        cohort_admin.grant_extension(sessions, w.lena, w.alpha, w.dee.id, "double", date.today())


def test_the_dashboard_shows_scores_the_hardest_exercise_its_failing_hidden_tests_and_stuck_learners(world):
    sessions, bank, w = world
    for _ in range(3):
        graded(sessions, w.ada.id, "double", "failed", score=4, hidden_failures=("test_matrix[4]",), error_class="shape")
    graded(sessions, w.bob.id, "double", "failed", score=2, hidden_failures=("test_matrix[4]", "test_big"),
           error_class="values")
    graded(sessions, w.bob.id, "double", "passed", score=10)
    graded(sessions, w.dee.id, "double", "failed", score=0, hidden_failures=("test_other",))  # other cohort
    data = cohort_dashboard(sessions, bank, w.lena, w.alpha, today=date.today(), stuck_attempts=3, idle_days=7)
    assert [l.username for l in data.learners] == ["ada", "bob", "cyd"]
    assert data.best[(w.ada.id, "double")] == 4 and data.best[(w.bob.id, "double")] == 10
    [hard] = data.hardest
    assert (hard.exercise_id, hard.attempted, hard.passed, hard.failed_attempts) == ("double", 2, 1, 4)
    assert hard.failing_hidden_tests == [("test_matrix[4]", 4), ("test_big", 1)]  # Beta's failures excluded
    assert dict(hard.error_classes) == {"shape": 3, "values": 1}
    reasons = {s.username: s.reason for s in data.stuck}
    assert "3 failed attempts" in reasons["ada"] and "no activity" in reasons["cyd"] and "bob" not in reasons
    actual = [r for r in data.completion if r["series"] == "actual"]
    assert actual and max(r["percent"] for r in actual) == pytest.approx(100 / 3, abs=0.1)


def test_the_gradebook_csv_opens_cleanly_and_keeps_formulas_out(world):
    sessions, bank, w = world
    with sessions() as session:
        from db.models import User

        session.get(User, w.bob.id).display_name = "=HYPERLINK(\"http://evil\")"
        session.commit()
    graded(sessions, w.bob.id, "double", "failed", score=5)
    graded(sessions, w.bob.id, "double", "passed", score=10, late=90)
    graded(sessions, w.bob.id, "double", "passed", score=10, late=5)  # only the first pass counts
    data = gradebook_csv(sessions, bank, w.lena, w.alpha)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, by_user = rows[0], {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert header[:5] == ["username", "name", "double best", "double first pass (UTC)", "double minutes late"]
    assert set(by_user) == {"ada", "bob", "cyd"}
    bob = by_user["bob"]
    assert bob["name"].startswith("'=")
    assert bob["double best"] == "10.0" and bob["double minutes late"] == "90" and bob["exercises passed"] == "1"
    assert by_user["cyd"]["points"] == "0"


def test_attempts_diff_and_hint_usage_for_the_drill_down(world):
    sessions, bank, w = world
    graded(sessions, w.ada.id, "double", "failed", score=1)
    graded(sessions, w.ada.id, "double", "passed", score=10)
    spec = bank.exercises["double"]
    assert reveal_hint(sessions, w.ada.id, spec) == 1
    assert reveal_hint(sessions, w.ada.id, spec) == 1  # only one hint exists: no more to reveal
    assert hints_revealed(sessions, w.ada.id, "double") == 1
    newest, older = attempts(sessions, w.lena, w.ada.id, "double")
    assert (newest.status, older.status) == ("passed", "failed")
    text = diff(older, newest)
    assert "-# failed" in text and "+# passed" in text
    [(exercise, number, _)] = hint_uses(sessions, w.lena, w.ada.id)
    assert (exercise, number) == ("double", 1)


def test_my_progress_shows_what_is_due_and_the_streak(world):
    sessions, bank, w = world
    cohort_admin.set_deadline(sessions, w.lena, w.alpha, "week-1", date.today() - timedelta(days=1))
    graded(sessions, w.ada.id, "double", "failed", score=1)
    mine = my_progress(sessions, bank, w.ada.id, date.today())
    assert mine.cohort_name == "Alpha" and [d.title for d in mine.due] == ["Week 1"] and mine.due[0].overdue
    assert mine.streak_days == 1 and mine.schedule[0].is_open
    graded(sessions, w.ada.id, "double", "passed", score=10)
    mine = my_progress(sessions, bank, w.ada.id, date.today())
    assert mine.due == [] and mine.passed_over_time[-1]["passed"] == 1


def test_streak_counts_consecutive_days_up_to_today_or_yesterday():
    today = date(2026, 3, 10)
    days = {today - timedelta(days=n) for n in (1, 2, 3, 5)}
    assert streak(days, today) == 3
    assert streak(days | {today}, today) == 4
    assert streak({today - timedelta(days=2)}, today) == 0
