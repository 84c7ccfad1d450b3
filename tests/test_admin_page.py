"""The admin page through AppTest, run on its own with a user already in the session.

The page is run directly (not through app.py's navigation) so that it is tested the same
way whether or not the navigation lists it for the viewer; its access check must hold on
its own. File uploads cannot be driven by AppTest, so the import uses the paste box.
"""
from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT

from admin_page_fixtures import add_account, authenticate, open_page, page_table, tiny_app_env  # noqa: F401

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


def test_an_admin_adds_a_user_through_the_form(tiny_app_env):
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
    assert list(page_table(at, 0)["username"]) == ["boss"]
    at.text_input(key="admin_new_username").input("Ada@Example.org")
    at.text_input(key="admin_new_name").input("Ada Lovelace")
    at.selectbox(key="admin_new_role").set_value("lead")
    at.button(key="admin_add").click().run()
    assert not at.exception, at.exception
    assert any("'ada@example.org' created" in s.value for s in at.success), [e.value for e in at.error]
    created = page_table(at, 0)  # the once-only table of new accounts, above the tabs
    assert list(created["username"]) == ["ada@example.org"] and list(created["role"]) == ["lead"]
    password = created["password"][0]
    assert authenticate(tiny_app_env, "ada@example.org", password) is not None
    assert sorted(page_table(at, 1)["username"]) == ["ada@example.org", "boss"]  # users table, refreshed
    at.run()
    assert not at.success  # the password is not shown again


def test_an_admin_imports_pasted_csv_and_sees_bad_lines(tiny_app_env):
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
    at.text_area(key="admin_csv_text").input("name,username,role\nAda,ada,learner\nBob,bob,teacher\n")
    at.button(key="admin_import").click().run()
    assert any("line 3: role 'teacher' is not one of learner, lead, admin" in e.value for e in at.error)
    assert list(page_table(at, 0)["username"]) == ["boss"]  # nothing created
    at.text_area(key="admin_csv_text").input("\ufeffname;username;role\nAda;ada;learner\nBob;bob;lead\n")
    at.button(key="admin_import").click().run()
    assert not at.exception, at.exception
    assert any("2 account(s) created" in s.value for s in at.success)
    created = page_table(at, 0)
    assert list(created["username"]) == ["ada", "bob"]
    assert authenticate(tiny_app_env, "bob", created["password"][1]).role == "lead"


def test_an_admin_creates_a_cohort_with_a_lead_and_moves_a_learner(tiny_app_env):
    add_account(tiny_app_env, "grace", "lead")
    add_account(tiny_app_env, "ada", "learner")
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
    assert at.selectbox(key="admin_cohort_track").options == ["Tiny track"]
    at.text_input(key="admin_cohort_name").input("Spring 2026")
    at.date_input(key="admin_cohort_start").set_value(date(2026, 3, 2))
    at.selectbox(key="admin_cohort_pacing").set_value("all-open")
    assert at.multiselect(key="admin_cohort_leads").options == ["boss", "grace"]  # no learners offered
    at.multiselect(key="admin_cohort_leads").set_value(["grace"])
    at.button(key="admin_create_cohort").click().run()
    assert not at.exception, at.exception
    assert any("Cohort 'Spring 2026' created" in s.value for s in at.success), [e.value for e in at.error]
    cohorts = page_table(at, 1)
    assert list(cohorts["name"]) == ["Spring 2026"] and list(cohorts["leads"]) == ["grace"]
    assert list(cohorts["pacing"]) == ["all-open"] and list(cohorts["track"]) == ["tiny"]
    assert list(cohorts["start"]) == [date(2026, 3, 2)]

    at.selectbox(key="admin_move_user").set_value("ada")
    at.selectbox(key="admin_move_cohort").set_value("Spring 2026")
    at.button(key="admin_move").click().run()
    assert any("'ada' moved to Spring 2026" in s.value for s in at.success)
    assert list(page_table(at, 1)["learners"]) == [1]


def test_an_admin_sees_why_an_action_failed(tiny_app_env):
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
    at.selectbox(key="admin_pick_user").set_value("boss")
    at.button(key="admin_deactivate").click().run()
    assert any("cannot deactivate your own account" in e.value for e in at.error)
    at.button(key="admin_create_cohort").click().run()  # no name typed
    assert any("the cohort needs a name" in e.value for e in at.error)
    assert not at.success


def test_an_admin_resets_a_password_shown_once(tiny_app_env):
    add_account(tiny_app_env, "ada", "learner")
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
    at.selectbox(key="admin_pick_user").set_value("ada")
    at.button(key="admin_reset").click().run()
    [message] = [s.value for s in at.success]
    password = message.split("New password for 'ada': ")[1].split(" ")[0]
    assert authenticate(tiny_app_env, "ada", password) is not None
    at.button(key="admin_deactivate").click().run()
    assert authenticate(tiny_app_env, "ada", password) is None


@pytest.mark.parametrize("role", ["learner", "lead"])
def test_non_admins_see_an_error_and_no_forms(tiny_app_env, role):
    add_account(tiny_app_env, "boss", "admin")
    at = open_page(add_account(tiny_app_env, "someone", role))
    assert any("Only an admin" in e.value for e in at.error)
    assert not at.text_input and not at.text_area and not at.button and not at.dataframe
    assert not at.selectbox and not at.tabs


def test_an_admin_exports_then_deletes_an_account_after_typing_its_name(tiny_app_env):
    ada = add_account(tiny_app_env, "ada", "learner")
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
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
    assert authenticate(tiny_app_env, "ada", "correct horse") is None
    assert "ada" not in [row["username"] for row in page_table(at, 0).to_dict("records")]
    assert ada.id


def test_a_learner_downloads_their_own_data_from_my_progress(tiny_app_env):
    at = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / "progress.py"), default_timeout=60)
    at.session_state["user"] = add_account(tiny_app_env, "ada", "learner")
    at.run()
    assert not at.exception, at.exception
    at.button(key="my_data_prepare").click().run()
    assert not at.exception, at.exception
    assert any("course-data-ada-" in d.proto.label for d in at.get("download_button"))


def test_a_form_stays_on_its_tab_keeps_input_on_failure_and_clears_after_success(tiny_app_env):
    add_account(tiny_app_env, "grace", "lead")
    at = open_page(add_account(tiny_app_env, "boss", "admin"))
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
