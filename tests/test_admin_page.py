"""The admin page through AppTest, run on its own with a user already in the session.

The page is run directly (not through app.py's navigation) so that it is tested the same
way whether or not the navigation lists it for the viewer; its access check must hold on
its own. File uploads cannot be driven by AppTest, so the import uses the paste box.
"""
from __future__ import annotations

from datetime import date

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from courseware import settings as settings_module
from courseware.settings import PROJECT_ROOT, Settings
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal.auth import CurrentUser
from postgres_server import database_url_for

PAGE = str(PROJECT_ROOT / "app_pages" / "admin.py")


@pytest.fixture
def app_env(tmp_path, content_tree, monkeypatch):
    """The app on a temp data folder and the tiny content tree (track 'tiny'), so that content
    being edited elsewhere cannot break these tests; stops its worker pool afterwards."""
    # Cold mode: these tests grade nothing, so skip starting the warm sandbox zygotes.
    env = {"COURSE_DATA_DIR": str(tmp_path / "data"), "COURSE_CONTENT_DIR": str(content_tree),
           "CHECKER_MODE": "cold", "CHECKER_WORKERS": "1"}
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if url := database_url_for(tmp_path / "data"):  # --database=postgresql
        env["DATABASE_URL"] = url
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    settings_module.get_settings.cache_clear()
    st.cache_resource.clear()
    yield settings
    from ui.session import get_context

    get_context().close()
    st.cache_resource.clear()
    settings_module.get_settings.cache_clear()


def _sessions(settings):
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    return session_factory(engine)


def add_user(settings, username: str, role: str) -> CurrentUser:
    """Create an account directly in the database; return it as the session would hold it."""
    sessions = _sessions(settings)
    with sessions() as session:
        user = users.create_user(session, username, "correct horse", role=role)
        session.commit()
        current = CurrentUser(user.id, user.username, user.username, user.role)
    sessions.kw["bind"].dispose()
    return current


def open_page(viewer: CurrentUser) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user"] = viewer
    at.run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest, index: int):
    return at.dataframe[index].value


def _authenticate(settings, username: str, password: str):
    sessions = _sessions(settings)
    try:
        with sessions() as session:
            return users.authenticate(session, username, password)
    finally:
        sessions.kw["bind"].dispose()


def test_an_admin_adds_a_user_through_the_form(app_env):
    at = open_page(add_user(app_env, "boss", "admin"))
    assert list(_table(at, 0)["username"]) == ["boss"]
    at.text_input(key="admin_new_username").input("Ada@Example.org")
    at.text_input(key="admin_new_name").input("Ada Lovelace")
    at.selectbox(key="admin_new_role").set_value("lead")
    at.button(key="admin_add").click().run()
    assert not at.exception, at.exception
    assert any("'ada@example.org' created" in s.value for s in at.success), [e.value for e in at.error]
    created = _table(at, 0)  # the once-only table of new accounts, above the tabs
    assert list(created["username"]) == ["ada@example.org"] and list(created["role"]) == ["lead"]
    password = created["password"][0]
    assert _authenticate(app_env, "ada@example.org", password) is not None
    assert sorted(_table(at, 1)["username"]) == ["ada@example.org", "boss"]  # users table, refreshed
    at.run()
    assert not at.success  # the password is not shown again


def test_an_admin_imports_pasted_csv_and_sees_bad_lines(app_env):
    at = open_page(add_user(app_env, "boss", "admin"))
    at.text_area(key="admin_csv_text").input("name,username,role\nAda,ada,learner\nBob,bob,teacher\n")
    at.button(key="admin_import").click().run()
    assert any("line 3: role 'teacher' is not one of learner, lead, admin" in e.value for e in at.error)
    assert list(_table(at, 0)["username"]) == ["boss"]  # nothing created
    at.text_area(key="admin_csv_text").input("\ufeffname;username;role\nAda;ada;learner\nBob;bob;lead\n")
    at.button(key="admin_import").click().run()
    assert not at.exception, at.exception
    assert any("2 account(s) created" in s.value for s in at.success)
    created = _table(at, 0)
    assert list(created["username"]) == ["ada", "bob"]
    assert _authenticate(app_env, "bob", created["password"][1]).role == "lead"


def test_an_admin_creates_a_cohort_with_a_lead_and_moves_a_learner(app_env):
    add_user(app_env, "grace", "lead")
    add_user(app_env, "ada", "learner")
    at = open_page(add_user(app_env, "boss", "admin"))
    assert at.selectbox(key="admin_cohort_track").options == ["Tiny track"]
    at.text_input(key="admin_cohort_name").input("Spring 2026")
    at.date_input(key="admin_cohort_start").set_value(date(2026, 3, 2))
    at.selectbox(key="admin_cohort_pacing").set_value("all-open")
    assert at.multiselect(key="admin_cohort_leads").options == ["boss", "grace"]  # no learners offered
    at.multiselect(key="admin_cohort_leads").set_value(["grace"])
    at.button(key="admin_create_cohort").click().run()
    assert not at.exception, at.exception
    assert any("Cohort 'Spring 2026' created" in s.value for s in at.success), [e.value for e in at.error]
    cohorts = _table(at, 1)
    assert list(cohorts["name"]) == ["Spring 2026"] and list(cohorts["leads"]) == ["grace"]
    assert list(cohorts["pacing"]) == ["all-open"] and list(cohorts["track"]) == ["tiny"]
    assert list(cohorts["start"]) == [date(2026, 3, 2)]

    at.selectbox(key="admin_move_user").set_value("ada")
    at.selectbox(key="admin_move_cohort").set_value("Spring 2026")
    at.button(key="admin_move").click().run()
    assert any("'ada' moved to Spring 2026" in s.value for s in at.success)
    assert list(_table(at, 1)["learners"]) == [1]


def test_an_admin_sees_why_an_action_failed(app_env):
    at = open_page(add_user(app_env, "boss", "admin"))
    at.selectbox(key="admin_pick_user").set_value("boss")
    at.button(key="admin_deactivate").click().run()
    assert any("cannot deactivate your own account" in e.value for e in at.error)
    at.button(key="admin_create_cohort").click().run()  # no name typed
    assert any("the cohort needs a name" in e.value for e in at.error)
    assert not at.success


def test_an_admin_resets_a_password_shown_once(app_env):
    add_user(app_env, "ada", "learner")
    at = open_page(add_user(app_env, "boss", "admin"))
    at.selectbox(key="admin_pick_user").set_value("ada")
    at.button(key="admin_reset").click().run()
    [message] = [s.value for s in at.success]
    password = message.split("New password for 'ada': ")[1].split(" ")[0]
    assert _authenticate(app_env, "ada", password) is not None
    at.button(key="admin_deactivate").click().run()
    assert _authenticate(app_env, "ada", password) is None


@pytest.mark.parametrize("role", ["learner", "lead"])
def test_non_admins_see_an_error_and_no_forms(app_env, role):
    add_user(app_env, "boss", "admin")
    at = open_page(add_user(app_env, "someone", role))
    assert any("Only an admin" in e.value for e in at.error)
    assert not at.text_input and not at.text_area and not at.button and not at.dataframe
    assert not at.selectbox and not at.tabs


def test_an_admin_exports_then_deletes_an_account_after_typing_its_name(app_env):
    ada = add_user(app_env, "ada", "learner")
    at = open_page(add_user(app_env, "boss", "admin"))
    at.selectbox(key="admin_pick_user").set_value("ada")
    at.button(key="admin_export").click().run()
    assert not at.exception, at.exception
    [download] = [d for d in at.get("download_button") if "course-data-ada-" in d.proto.label]
    assert download.proto.label.endswith(".zip")
    assert at.button(key="admin_delete").disabled  # not before the name is typed
    at.text_input(key="admin_delete_confirm").set_value("ada").run()
    at.button(key="admin_delete").click().run()
    [message] = [s.value for s in at.success]
    assert message.startswith("'ada' deleted. Rows removed: users 1")
    assert _authenticate(app_env, "ada", "correct horse") is None
    assert "ada" not in [row["username"] for row in _table(at, 0).to_dict("records")]
    assert ada.id


def test_a_learner_downloads_their_own_data_from_my_progress(app_env):
    at = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / "progress.py"), default_timeout=60)
    at.session_state["user"] = add_user(app_env, "ada", "learner")
    at.run()
    assert not at.exception, at.exception
    at.button(key="my_data_prepare").click().run()
    assert not at.exception, at.exception
    assert any("course-data-ada-" in d.proto.label for d in at.get("download_button"))


def test_a_form_stays_on_its_tab_keeps_input_on_failure_and_clears_after_success(app_env):
    add_user(app_env, "grace", "lead")
    at = open_page(add_user(app_env, "boss", "admin"))
    at.session_state["admin_tab"] = "Cohorts"  # the admin opened the Cohorts tab
    at.run()
    at.multiselect(key="admin_cohort_leads").set_value(["grace"])
    at.button(key="admin_create_cohort").click().run()  # no name: refused, the choice stays
    assert any("the cohort needs a name" in e.value for e in at.error)
    assert at.multiselect(key="admin_cohort_leads").value == ["grace"]
    at.text_input(key="admin_cohort_name").input("Autumn")
    at.button(key="admin_create_cohort").click().run()
    assert not at.exception, at.exception
    assert at.session_state["admin_tab"] == "Cohorts"  # still on the tab after the rerun
    assert any("Cohort 'Autumn' created" in s.value for s in at.tabs[1].success)  # the message is on that tab
    assert at.text_input(key="admin_cohort_name").value == "" and at.multiselect(key="admin_cohort_leads").value == []

    at.session_state["admin_tab"] = "Users"
    at.run()
    at.text_input(key="admin_new_username").input("ada")
    at.text_input(key="admin_new_name").input("Ada")
    at.button(key="admin_add").click().run()
    assert any("'ada' created" in s.value for s in at.tabs[0].success)
    assert at.text_input(key="admin_new_username").value == "" and at.text_input(key="admin_new_name").value == ""
