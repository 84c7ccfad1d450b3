"""The learner's loop, below the page: pacing locks as plain rules, pytest output a learner may see,
the verdict's summary, cards and expected/got, the editor's value, and own-text runs in attempt lists."""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from verdicts.learner_output import learner_output
from verdicts.table import expected_got, failing_tests, render_text, verdict_headline, verdict_summary
from courseware.loader import load_bank
from courseware.spec import Module, ModuleItem, Track
from db import submissions
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from db.models import Cohort
from db.submission_inputs import add_inputs
from portal.catalog import track_outline
from portal.drilldown import attempts as drilldown_attempts
from portal.exercise import OWN_TEXT_MODE, attempts, latest_submission
from portal.pacing import ItemLock, PacingPolicy, exercise_lock, exercise_locks, lock_of, opening_words
from ui.code_editor import EditorAction, parse_value

from cohort_fixtures import seed

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

# ------------------------------------------------------------------ pacing rules

def track_with(exercise_by_week: dict[int, str]) -> Track:
    modules = tuple(Module(f"week-{w}", f"Week {w}", w, "", (ModuleItem("exercise", ex),))
                    for w, ex in sorted(exercise_by_week.items()))
    return Track("t", "T", "", modules, Path("t.yaml"))


def test_an_exercise_is_locked_until_its_module_opens_then_open():
    track = track_with({1: "softmax", 2: "attention"})
    cohort = Cohort(name="Alpha", track_id="t", start_date=date(2026, 12, 4), pacing="weekly")
    assert lock_of(cohort, track, "softmax", date(2026, 12, 4)) is None       # week 1 opens on the start date
    lock = lock_of(cohort, track, "attention", date(2026, 12, 4))
    assert lock == ItemLock(date(2026, 12, 11), "Week 2", "Alpha")
    assert lock_of(cohort, track, "attention", date(2026, 12, 10)) is not None
    assert lock_of(cohort, track, "attention", date(2026, 12, 11)) is None     # opens that day
    cohort.pacing = "all-open"
    assert lock_of(cohort, track, "attention", date(2026, 12, 4)) is None


def test_no_cohort_or_an_exercise_outside_its_track_is_open():
    track = track_with({2: "attention"})
    cohort = Cohort(name="Alpha", track_id="t", start_date=date(2026, 12, 4), pacing="weekly")
    assert lock_of(None, track, "attention", date(2026, 1, 1)) is None
    assert lock_of(cohort, None, "attention", date(2026, 1, 1)) is None
    assert lock_of(cohort, track, "elsewhere", date(2026, 1, 1)) is None


def test_the_opening_date_in_words():
    lock = ItemLock(date(2026, 12, 11), "Week 2", "Alpha")
    assert lock.label(date(2026, 12, 4)) == "Opens on Friday 11 December"
    assert lock.label(date(2025, 12, 4)) == "Opens on Friday 11 December 2026"
    assert lock.short(date(2026, 12, 4)) == "opens Fri 11 Dec"
    assert opening_words(date(2027, 1, 1)) == "Friday 1 January 2027"


@pytest.fixture
def world(db_url, content_tree):  # noqa: F811
    engine = make_engine(db_url)
    upgrade(engine)
    sessions = session_factory(engine)
    bank = load_bank(content_tree)
    yield sessions, bank, seed(sessions)
    engine.dispose()


def test_locks_reach_the_outline_the_page_and_the_grading_service_alike(world):
    sessions, bank, w = world
    start = date.today() + timedelta(days=3)
    with sessions() as session:
        session.get(Cohort, w.alpha).start_date = start
        session.commit()
    with sessions() as session:
        locks = exercise_locks(session, bank, w.ada.id, date.today())
        page_lock = exercise_lock(session, bank, w.ada.id, "double", date.today())
        refusal = PacingPolicy(bank).lock_reason(session, w.ada.id, "double", start_of(date.today()))
        lead_locks = exercise_locks(session, bank, w.lena.id, date.today())
    assert locks["double"] == ItemLock(start, "Week 1", "Alpha") and page_lock == locks["double"]
    assert "doubling" not in locks  # lessons never lock
    assert refusal and "opens on" in refusal and "Alpha" in refusal
    assert lead_locks == {}  # a lead learns in no cohort: nothing is locked for them
    outline = track_outline(sessions, bank, w.ada.id, "tiny")
    items = {i.id: i for m in outline.modules for i in m.items}
    assert items["double"].lock == locks["double"]
    assert items["doubling"].lock is None  # lessons never lock
    later = track_outline(sessions, bank, w.ada.id, "tiny", today=start)
    assert all(i.lock is None for m in later.modules for i in m.items)


def start_of(day: date):
    from datetime import datetime, timezone

    return datetime.combine(day, datetime.min.time(), tzinfo=timezone.utc)


# ------------------------------------------------------------------ pytest output for learners

RAW_SUBMIT = """\
..F.FF.                                                                  [100%]
=================================== FAILURES ===================================
______________________ test_large_scores_do_not_overflow _______________________
test_public.py:38: in test_large_scores_do_not_overflow
    assert_tensor_close(softmax(x), torch.softmax(x, dim=-1), atol=1e-6,
/opt/course-runtime/course_harness.py:125: in assert_tensor_close
    raise AssertionError(
E   AssertionError: softmax of [[100, 101, 102]] contains 4 NaN/inf value(s)
______________ test_huge_scores[1000] ______________
/jobs/job-c2bd79cb8a1b48019c4d500891b4cabc/code/test_hidden.py:20: in test_huge_scores
    x = torch.tensor([[1000.0, -1000.0]])  # the hidden input
E   AssertionError: softmax of rows with scores like ±1000 contains 6 NaN/inf value(s)
----------------------------- Captured stdout call -----------------------------
debug print of the hidden input
_____________ ERROR at setup of TestMasks.test_minus_inf _____________
/jobs/job-c2bd79cb8a1b48019c4d500891b4cabc/code/test_hidden.py:29: in fixture
    secret = build_mask()
E   RuntimeError: boom
=============================== warnings summary ===============================
../../../work/main/.venv/lib/python3.11/site-packages/_pytest/config/__init__.py:894
  /work/main/.venv/lib/python3.11/site-packages/_pytest/config/__init__.py:894: PytestAssertRewriteWarning: Module already imported so cannot be rewritten; metric_gate
    self.import_plugin(arg, consider_entry_points=True)

test_public.py::test_large_scores_do_not_overflow
  /workspace/submission.py:14: UserWarning: 1/2 of the scores overflow
    warnings.warn("overflow")

test_hidden.py::test_huge_scores[1000]
  /workspace/submission.py:14: UserWarning: hidden-only warning
    warnings.warn(secret)

-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html
=========================== short test summary info ============================
FAILED test_public.py::test_large_scores_do_not_overflow - AssertionError: so...
FAILED test_hidden.py::test_huge_scores[1000] - A...
ERROR test_hidden.py::TestMasks::test_minus_inf - RuntimeError: boom
2 failed, 4 passed, 1 error, 3 warnings in 0.20s
"""
TESTS = [
    {"name": "test_large_scores_do_not_overflow", "visibility": "public", "outcome": "failed",
     "message": "softmax of [[100, 101, 102]] contains 4 NaN/inf value(s)", "duration_s": 0.01},
    {"name": "test_huge_scores[1000]", "visibility": "hidden", "outcome": "failed", "message": "±1000", "duration_s": 0.1},
    {"name": "TestMasks::test_minus_inf", "visibility": "hidden", "outcome": "error", "message": "boom",
     "duration_s": 0.1},
]


def test_submit_output_keeps_public_sections_and_leaves_hidden_ones_out():
    out = learner_output(RAW_SUBMIT, TESTS)
    assert "test_large_scores_do_not_overflow" in out and "softmax of [[100, 101, 102]]" in out
    for secret in ("the hidden input", "debug print", "build_mask", "hidden-only warning", "test_hidden.py"):
        assert secret not in out, secret
    assert "2 hidden test sections left out" in out
    assert "2 failed, 4 passed, 1 error" in out


def test_output_has_no_server_paths_and_no_internal_warnings():
    out = learner_output(RAW_SUBMIT, TESTS)
    for server_side in ("/jobs/", "/opt/", "/work/", "/workspace/", ".venv", "PytestAssertRewriteWarning",
                        "-- Docs:"):
        assert server_side not in out, server_side
    assert "course_harness.py:125: in assert_tensor_close" in out
    assert "submission.py:14: UserWarning: 1/2 of the scores overflow" in out  # the learner's own warning stays
    assert learner_output(None, TESTS) is None
    only_internal = RAW_SUBMIT.split("=============================== warnings")[0] + (
        "=============================== warnings summary ===============================\n"
        "x.py:1\n  /a/b/x.py:1: PytestAssertRewriteWarning: internal\n\n"
        "-- Docs: https://docs.pytest.org/en/stable/how-to/capture-warnings.html\n1 failed in 0.1s\n")
    assert "warnings summary" not in learner_output(only_internal, TESTS)


def test_run_output_of_public_tests_is_kept_whole_apart_from_paths():
    raw = "F\n___ test_a ___\n/jobs/job-1/code/test_public.py:3: in test_a\n    assert f(2) == 4\nE   assert 5 == 4\n"
    out = learner_output(raw, [{"name": "test_a", "visibility": "public"}])
    assert out == raw.replace("/jobs/job-1/code/", "")


# ------------------------------------------------------------------ the verdict on the page

def view(**changes) -> dict:
    tests = [{"name": f"test_{i}", "visibility": "public" if i < 4 else "hidden", "outcome": "passed",
              "message": "", "duration_s": 0.01} for i in range(10)]
    tests[5] = tests[5] | {"outcome": "failed", "message": "result has shape (2, 3), expected (3, 2)."}
    tests[6] = tests[6] | {"outcome": "error", "message": "boom"}
    tests[7] = tests[7] | {"outcome": "failed", "error_class": "rule", "message": "Do not call torch.softmax."}
    base = {"mode": "submit", "status": "failed", "tests": tests, "score": 14.0, "points": 20,
            "late_minutes": None, "error_reason": None, "artifacts": [], "output": None}
    return base | changes


def test_the_summary_line_counts_tests_and_points():
    assert verdict_summary(view()) == ("Submit (all tests): **failed** — 7 of 10 tests passed · 14/20 points"
                                       " · rule broken")
    run = view(mode="run", score=None, tests=view()["tests"][:4])
    assert verdict_summary(run, strong="") == "Run (public tests): failed — 4 of 4 tests passed"
    assert verdict_summary(view(late_minutes=5)).endswith("submitted 5 min late (recorded)")


def test_failing_tests_are_the_cards_broken_rules_first():
    names = [t["name"] for t in failing_tests(view()["tests"])]
    assert names == ["test_7", "test_5", "test_6"]


@pytest.mark.parametrize("message, expected", [
    ("result has shape (2, 3), expected (3, 2).", ("shape (3, 2)", "shape (2, 3)")),
    ("x has dtype torch.float32, expected torch.float64. (in your code, line 4)",
     ("dtype torch.float64", "dtype torch.float32")),
    ("softmax differs from the expected values: max abs error 0.5 (allowed 1e-06 + 1e-05·|expected|); "
     "worst at index (0, 1): got 0.2, expected 0.7.", ("0.7", "0.2")),
    ("expected 300 losses for steps=300, got 12.", ("300 losses for steps=300", "12")),
    ("softmax contains 4 NaN/inf value(s) where finite values were expected (overflow in exp?).", None),
    ("", None),
])
def test_expected_and_got_are_read_from_messages_that_state_both(message, expected):
    assert expected_got(message) == expected


def test_the_command_line_rendering_is_unchanged():
    data = view()
    assert verdict_headline(data) == "Submit (all tests): failed — 7/10 tests passed, score 14/20 · rule broken"
    assert render_text(data).startswith(verdict_headline(data))


# ------------------------------------------------------------------ the editor's value

def test_the_editor_value_becomes_an_event_and_a_handled_click_is_dropped():
    click = {"kind": "submit", "id": "a1", "code": "x = 1\n"}
    event = parse_value({"code": "x = 1\ny", "action": click})
    assert event.code == "x = 1\ny" and event.action == EditorAction("submit", "a1", "x = 1\n")
    assert parse_value({"code": "x", "action": click}, handled="a1").action is None
    assert parse_value(None).code is None and parse_value(None).action is None
    assert parse_value({"code": "x", "action": {"kind": "delete", "id": "b", "code": ""}}).action is None
    assert parse_value({"code": 3, "action": None}).code is None


# ------------------------------------------------------------------ own-text runs in attempt lists

def stored(sessions, user_id: int, mode: str, score: float, own_text: bool = False) -> int:
    with sessions() as session:
        sub = submissions.create_submission(session, user_id=user_id, exercise_id="double", mode=mode, code="x")
        if own_text:
            add_inputs(session, sub.id, {"own_text.txt": "some text of mine"})
        session.commit()
        submissions.claim_submission(session, sub.id)
        submissions.store_result(session, sub.id, status="passed", score=score, points_possible=40,
                                 tests=[{"name": "t", "visibility": "public", "outcome": "passed", "message": "",
                                         "duration_s": 0.1}], artifacts=[])
        return sub.id


def test_own_text_runs_are_named_so_and_carry_no_score(world):
    sessions, _, w = world
    submit = stored(sessions, w.ada.id, "submit", 10)
    run = stored(sessions, w.ada.id, "run", 5)
    own = stored(sessions, w.ada.id, "run", 40, own_text=True)
    rows = {a.submission_id: a for a in attempts(sessions, w.ada.id, "double")}
    assert (rows[own].mode, rows[own].score) == (OWN_TEXT_MODE, None)
    assert (rows[run].mode, rows[run].score) == ("run", 5) and (rows[submit].mode, rows[submit].score) == ("submit", 10)
    lead_view = {a.id: a for a in drilldown_attempts(sessions, w.lena, w.ada.id, "double")}
    assert (lead_view[own].mode, lead_view[own].score) == (OWN_TEXT_MODE, None)
    assert lead_view[submit].score == 10
    # A reload shows the latest graded run, not the playground run after it.
    assert latest_submission(sessions, w.ada.id, "double") == run
    assert latest_submission(sessions, w.bob.id, "double") is None
