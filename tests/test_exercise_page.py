"""The exercise page through AppTest: the latest verdict after a reload, failing tests as cards with their
whole message and expected/got, Submit's filtered output, a locked exercise (banner, disabled editor
buttons, the service's refusal) and locks in the track outline. Verdicts are stored directly (as a worker
stores them), so no test here waits for the sandbox."""
from __future__ import annotations

import pytest

import json
from datetime import date, datetime, timezone

from config import PROJECT_ROOT
from db import submissions
from db.engine import make_engine, session_factory
from db.models import Cohort, CohortMember
from db.users import find_user
from portal.pacing import opening_words

from app_fixtures import add_user, app_env, click, logged_in  # noqa: F401  (app_env: the fixture)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

LONG_MESSAGE = ("softmax of [[100, 101, 102], [-3, 0, 90]] differs from the expected values: max abs error 0.42 "
                "(allowed 1e-06 + 1e-05·|expected|); worst at index (1, 2): got 0.58, expected 1.")
RAW_OUTPUT = """\
.F..F
=================================== FAILURES ===================================
______________________ test_large_scores_do_not_overflow _______________________
/jobs/job-0123abcd/code/test_public.py:38: in test_large_scores_do_not_overflow
    assert_tensor_close(softmax(x), torch.softmax(x, dim=-1), atol=1e-6)
E   AssertionError: softmax of [[100, 101, 102], [-3, 0, 90]] differs
______________________ test_secret_case _______________________
/jobs/job-0123abcd/code/test_hidden.py:12: in test_secret_case
    x = torch.full((3,), 12345.678)  # a hidden input
E   AssertionError: wrong
=========================== short test summary info ============================
FAILED test_public.py::test_large_scores_do_not_overflow - AssertionError: so...
FAILED test_hidden.py::test_secret_case - AssertionError: wrong
2 failed, 3 passed in 0.20s
"""


def sessions_of(settings):
    engine = make_engine(settings.sqlalchemy_url)
    return engine, session_factory(engine)


def store_failed_submit(settings, username="ada", exercise_id="stable-softmax") -> int:
    engine, sessions = sessions_of(settings)
    tests = [{"name": f"test_ok_{i}", "visibility": "public", "outcome": "passed", "message": "", "duration_s": 0.01}
             for i in range(3)]
    tests += [{"name": "test_large_scores_do_not_overflow", "visibility": "public", "outcome": "failed",
               "message": LONG_MESSAGE, "duration_s": 0.02},
              {"name": "test_secret_case", "visibility": "hidden", "outcome": "failed",
               "message": "result has shape (2, 3), expected (3, 2).", "duration_s": 0.02}]
    with sessions() as session:
        user = find_user(session, username)
        sub = submissions.create_submission(session, user_id=user.id, exercise_id=exercise_id, mode="submit",
                                            code="# mine\n")
        session.commit()
        submissions.claim_submission(session, sub.id)
        submissions.store_result(session, sub.id, status="failed", score=6.0, points_possible=10, tests=tests,
                                 artifacts=[], output=RAW_OUTPUT)
        sub_id = sub.id
    engine.dispose()
    return sub_id


def open_exercise(at, exercise_id: str):
    at.switch_page("app_pages/exercise.py")
    at.query_params["id"] = exercise_id
    at.run()
    assert not at.exception, at.exception
    return at


def test_the_latest_verdict_is_shown_again_with_cards_summary_and_filtered_output(app_env):
    add_user(app_env)
    store_failed_submit(app_env)
    at = open_exercise(logged_in(app_env), "stable-softmax")  # a fresh session, as after a reload
    assert [w.value for w in at.warning if "tests passed" in w.value] == [
        "Submit (all tests): **failed** — 3 of 5 tests passed · 6/10 points"]
    shown = "\n".join(m.value for m in at.markdown)
    # The whole long message, escaped for Markdown (no "…"), and expected / got read from it.
    assert "max abs error 0\\.42" in shown and "got 0\\.58, expected 1\\." in shown
    assert "**Expected** ` 1 `  \n**Got** ` 0.58 `" in shown
    assert "**Expected** ` shape (3, 2) `  \n**Got** ` shape (2, 3) `" in shown
    assert ":violet-badge[hidden test]" in shown and ":blue-badge[public test]" in shown
    # Passed tests wait in the collapsed table; Submit's output is there, without hidden sections or paths.
    assert any(e.label.startswith("✅ All 5 tests (3 passed)") for e in at.expander)
    [output] = [c.value for c in at.code if "FAILURES" in c.value]
    assert "test_large_scores_do_not_overflow" in output and "test_public.py:38" in output
    assert "12345.678" not in output and "test_hidden.py" not in output and "/jobs/" not in output
    assert "1 hidden test section left out" in output


def test_a_locked_exercise_says_when_it_opens_disables_run_and_submit_and_is_refused(app_env):
    add_user(app_env)
    engine, sessions = sessions_of(app_env)
    today = datetime.now(timezone.utc).date()
    with sessions() as session:
        cohort = Cohort(name="Alpha", track_id="first-steps", start_date=today, pacing="weekly")
        session.add(cohort)
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, user_id=find_user(session, "ada").id, role="learner"))
        session.commit()
    engine.dispose()
    at = open_exercise(logged_in(app_env), "scaled-dot-product-attention")  # week 2: opens in 7 days
    opens = date.fromordinal(today.toordinal() + 7)
    banner = [w.value for w in at.warning if "Opens on" in w.value]
    assert banner and banner[0].startswith(f"**Opens on {opening_words(opens, today)}** for Alpha")
    [editor] = at.get("component_instance")
    args = json.loads(editor.proto.json_args)
    assert args["locked"].startswith(f"Opens on {opening_words(opens, today)}")
    # Even a click that reaches the page (an old tab, a crafted message) is refused by the service.
    click(at, "scaled-dot-product-attention", "submit", "x = 1\n")
    assert any("opens on" in e.value for e in at.error)
    # Week 1 is open: no banner, buttons enabled.
    at = open_exercise(at, "stable-softmax")
    assert not [w for w in at.warning if "Opens on" in w.value]
    [editor] = at.get("component_instance")
    assert json.loads(editor.proto.json_args)["locked"] == ""
    # The track outline marks the locked exercise and says when it opens.
    at.switch_page("app_pages/tracks.py").run()
    at.selectbox(key="track_picker").set_value("first-steps").run()
    links = [link.proto.label for link in at.get("page_link")]
    locked = [label for label in links if "Scaled dot-product attention" in label and "Exercise" in label]
    assert locked == [f"🔒 🧪 Exercise: Scaled dot-product attention · opens {opens:%a} {opens.day} {opens:%b}"]
    assert any(label.startswith("⬜ 🧪 Exercise: Stable softmax") for label in links)


def test_a_click_grades_the_code_it_carries_once(app_env):
    add_user(app_env)
    at = open_exercise(logged_in(app_env), "stable-softmax")
    click(at, "stable-softmax", "run", "def softmax(x:\n", click_id="c-1")
    at.run()  # the editor resends an unconfirmed click with its next value: it is not graded twice
    engine, sessions = sessions_of(app_env)
    with sessions() as session:
        rows = submissions.list_submissions(session, find_user(session, "ada").id, "stable-softmax")
        assert [(s.mode, s.code) for s in rows] == [("run", "def softmax(x:\n")]
    engine.dispose()
    [editor] = at.get("component_instance")
    assert json.loads(editor.proto.json_args)["handled"] == "c-1"  # the editor stops resending it
    assert (PROJECT_ROOT / "ui" / "editor_frontend" / "fonts" / "OFL.txt").is_file()
