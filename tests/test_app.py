"""The Streamlit app through AppTest: first run, log-in, and a submit that reaches a stored verdict.

AppTest runs the real page scripts in-process against a real database and the real
sandboxed checker. It cannot type into the editor component, so tests hand code to the
exercise page as the component would (``click``: its value in ``session_state["editor:<exercise>"]``)
or through its seam (``session_state["code_seam:<exercise>"]``).
"""
from __future__ import annotations

import pytest

from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT

# The fixture and helpers live in app_fixtures (other test modules import them from here too).
from app_fixtures import APP, add_user, app_env, click, logged_in, wait_for_verdict  # noqa: F401  (app_env: fixture)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


def test_first_run_creates_the_admin_account(app_env):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert any("Create the admin account" in s.value for s in at.subheader)
    at.text_input(key="admin_username").input("root-admin")
    at.text_input(key="admin_password").input("s3cret-pass")
    at.text_input(key="admin_confirm").input("different")
    at.button[0].click().run()
    assert any("passwords differ" in e.value for e in at.error)
    at.text_input(key="admin_confirm").input("s3cret-pass")
    at.button[0].click().run()
    assert at.session_state["user"].role == "admin"
    from courseware.loader import load_bank

    titles = {t.title for t in load_bank(app_env.content_dir).tracks.values()}
    assert at.selectbox(key="track_picker").options  # the tracks page
    assert any(t.value in titles for t in at.title)


def test_log_in_refuses_a_wrong_password_then_accepts_the_right_one(app_env):
    add_user(app_env, role="admin")
    at = logged_in(app_env, password="wrong password")
    assert any("Wrong username or password" in e.value for e in at.error)
    assert "user" not in at.session_state
    at.text_input(key="login_password").input("correct horse")
    at.button[0].click().run()
    assert at.session_state["user"].username == "ada"
    at.sidebar.button(key="logout").click().run()
    assert "user" not in at.session_state


def test_submitting_the_attention_solution_stores_a_passing_verdict(app_env):
    add_user(app_env, role="admin")
    at = logged_in(app_env)
    at.switch_page("app_pages/exercise.py")
    at.query_params["id"] = "scaled-dot-product-attention"
    at.run()
    assert any("attention" in t.value.lower() for t in at.title)
    solution = (PROJECT_ROOT / "exercises" / "scaled-dot-product-attention" / "solution.py").read_text()
    click(at, "scaled-dot-product-attention", "submit", solution)
    wait_for_verdict(at)
    assert any("**passed**" in s.value for s in at.success), [s.value for s in at.success]
    table = at.dataframe[0].value
    assert set(table["result"]) == {"passed"} and set(table["kind"]) == {"public", "hidden"}

    from ui.session import get_context
    from db import progress

    with get_context().sessions() as session:
        ep = progress.exercise_progress(session, at.session_state["user"].id)["scaled-dot-product-attention"]
    assert ep.passed_at is not None and ep.best_score == 20


def test_bad_input_gets_a_message_and_a_stored_record(app_env):
    add_user(app_env)
    at = logged_in(app_env)
    at.switch_page("app_pages/exercise.py")
    at.query_params["id"] = "stable-softmax"
    at.run()
    click(at, "stable-softmax", "run", "def softmax(x:\n")
    assert any("Syntax error at line 1" in e.value for e in at.error)
    from ui.session import get_context
    from db import submissions

    with get_context().sessions() as session:
        [stored] = submissions.list_submissions(session, at.session_state["user"].id, "stable-softmax")
    assert stored.status == "error" and stored.error_reason.startswith("Syntax error")


def test_the_draft_is_restored_when_the_learner_returns(app_env):
    add_user(app_env)
    at = logged_in(app_env)
    at.switch_page("app_pages/exercise.py")
    at.query_params["id"] = "stable-softmax"
    at.run()
    at.session_state["code_seam:stable-softmax"] = "# my work in progress\n"
    at.run()
    again = logged_in(app_env)
    from portal.exercise import load_code
    from ui.session import get_context

    ctx = get_context()
    assert load_code(ctx.sessions, again.session_state["user"].id, ctx.bank.exercises["stable-softmax"]) \
        == "# my work in progress\n"
