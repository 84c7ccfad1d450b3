"""Where people start and how a log-in lasts, below the browser: the landing rules
(portal/landing.py) as plain functions, then the pages through AppTest: a lead lands on their
cohort, a cohort learner on their cohort's track, Follow / Unfollow says what it will do, the
sidebar's Lesson and Exercise open the current item, a deep link survives the log-in, and
log-out, "log out everywhere" and deactivation end the session on the next rerun.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from courseware.spec import Module, ModuleItem, Track
from db import login_sessions
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal import admin
from portal.catalog import mark_lesson_read
from portal.landing import after_login_path, current_item, home_track, landing_page, may_open

from cohort_fixtures import graded, seed
from app_fixtures import APP, app_env  # noqa: F401  (the fixture)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

# --- the rules --------------------------------------------------------------------------------


class FakeBank:
    """Just what the rules read: tracks, and which lessons and exercises are written."""

    def __init__(self, tracks, lessons=(), exercises=()):
        self.tracks = {t.id: t for t in tracks}
        self.lessons = dict.fromkeys(lessons)
        self.exercises = dict.fromkeys(exercises)


def track(track_id: str, title: str, weeks: dict[int, list[tuple[str, str]]], coming=()) -> Track:
    modules = tuple(Module(f"w{w}", f"Week {w}", w, "", tuple(ModuleItem(kind, i, i in coming) for kind, i in items))
                    for w, items in sorted(weeks.items()))
    return Track(track_id, title, "", modules, Path(f"{track_id}.yaml"))


WEEKS = {1: [("lesson", "l1"), ("exercise", "e1"), ("exercise", "e2")],
         2: [("lesson", "l2"), ("exercise", "e3"), ("exercise", "soon")],
         3: [("lesson", "l3"), ("exercise", "e4")]}
BANK = FakeBank([track("t", "Zeta track", WEEKS, coming={"soon"}), track("a", "Alpha track", {1: [("exercise", "e9")]})],
                lessons=["l1", "l2", "l3"], exercises=["e1", "e2", "e3", "e4", "e9", "soon"])


def test_the_current_item_is_the_first_not_done_in_an_open_module():
    assert current_item(BANK, "t", "exercise", done=set()) == "e1"
    assert current_item(BANK, "t", "exercise", done={"e1"}) == "e2"
    assert current_item(BANK, "t", "exercise", done={"e1", "e2"}) == "e3"  # "soon" is coming: skipped
    assert current_item(BANK, "t", "lesson", done={"l1"}) == "l2"
    # weeks 1-2 open: with both done, the next one is locked; its page says when it opens
    assert current_item(BANK, "t", "exercise", done={"e2"}, open_modules={"w1", "w2"}) == "e1"
    assert current_item(BANK, "t", "exercise", done={"e1", "e2", "e3"}, open_modules={"w1", "w2"}) == "e4"
    assert current_item(BANK, "t", "exercise", done={"e1", "e3"}, open_modules={"w2"}) == "e2"
    assert current_item(BANK, "t", "exercise", done={"e1", "e2", "e3", "e4"}) == "e4"  # all done: the last
    assert current_item(BANK, "a", "lesson", done=set()) is None
    assert current_item(BANK, None, "exercise", done=set()) is None


def test_the_home_track_is_the_cohorts_then_the_browsed_then_a_followed_then_the_first_by_title():
    assert home_track(BANK, cohort_track="t", followed=["a"], preferred="a") == "t"
    assert home_track(BANK, cohort_track=None, followed=["t"], preferred="a") == "a"
    assert home_track(BANK, cohort_track="gone", followed=["t"]) == "t"
    assert home_track(BANK, cohort_track=None) == "a"  # "Alpha track" before "Zeta track"
    assert home_track(FakeBank([]), cohort_track=None) is None


def test_leads_land_on_their_cohort_and_a_log_in_returns_to_the_page_asked_for():
    assert landing_page("lead") == "cohorts" and landing_page("learner") == "tracks" == landing_page("admin")
    assert after_login_path("cohorts", {}, "lead") == "/cohorts"
    assert after_login_path("exercise", {"id": "stable-softmax"}, "learner") == "/exercise?id=stable-softmax"
    assert after_login_path("cohorts", {}, "learner") == "/"  # not theirs: the root, no "Page not found"
    assert after_login_path("admin", {}, "lead") == "/" and after_login_path("health", {}, "admin") == "/health"
    assert after_login_path("", {}, "lead") == "/" and after_login_path("nowhere", {}, "admin") == "/"
    assert after_login_path("cohorts", {}, "lead", base="/course/") == "/course/cohorts"
    assert may_open("admin", "cohorts") and not may_open("learner", "admin") and may_open("learner", "")


# --- the pages --------------------------------------------------------------------------------


@pytest.fixture
def world(app_env):
    engine = make_engine(app_env.sqlalchemy_url)
    upgrade(engine)
    sessions = session_factory(engine)
    made = seed(sessions, track_id="first-steps", started_days_ago=7)  # weeks 1 and 2 open
    yield sessions, made
    engine.dispose()


def log_in(username: str, page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if page:
        at.switch_page(page)
    at.run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input("password-123")
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.session_state["user"].username == username
    return at


def live(sessions, user_id: int) -> int:
    with sessions() as session:
        return login_sessions.count_live(session, user_id)


def test_a_lead_lands_on_their_cohort(world):
    at = log_in("lena")
    assert any(t.value == "Alpha" for t in at.title), [t.value for t in at.title]
    assert at.selectbox(key="lead_cohort").value == world[1].alpha


def test_a_cohort_learner_starts_on_the_cohorts_track_and_follow_says_what_it_does(world):
    at = log_in("ada")
    assert at.selectbox(key="track_picker").value == "first-steps"
    assert not [b for b in at.button if b.key in ("enroll", "unenroll")]  # the cohort's track: no button
    assert any("Your cohort Alpha follows this track" in c.value for c in at.caption)
    from ui.session import get_context

    other = next(t for t in sorted(get_context().bank.tracks) if t != "first-steps")
    at.selectbox(key="track_picker").set_value(other).run()
    assert at.button(key="enroll").label == "Follow this track"
    at.button(key="enroll").click().run()
    assert at.button(key="unenroll").label == "Unfollow this track"
    at.button(key="unenroll").click().run()
    assert at.button(key="enroll").label == "Follow this track"


def test_the_sidebars_lesson_and_exercise_open_the_current_item(world):
    sessions, made = world
    graded(sessions, made.bob.id, "stable-softmax", "passed", score=10)
    mark_lesson_read(sessions, made.bob.id, "softmax-stability")
    at = log_in("bob")
    at.switch_page("app_pages/exercise.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Scaled dot-product attention"
    assert list(at.query_params["id"]) == ["scaled-dot-product-attention"] or \
        at.query_params["id"] == "scaled-dot-product-attention"  # in the URL: a reload opens it again
    at.switch_page("app_pages/lesson.py").run()
    assert not at.exception, at.exception
    assert "attention" in at.title[0].value.lower(), at.title[0].value

    fresh = log_in("ada")  # nothing done yet: week 1's items, not the alphabetically first
    fresh.switch_page("app_pages/exercise.py").run()
    assert fresh.title[0].value == "Stable softmax"


def test_a_deep_link_opened_logged_out_shows_the_log_in_form_and_then_the_page(world):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/cohort.py").run()
    assert not at.exception, at.exception
    assert at.text_input(key="login_username")  # the form, not "Page not found"
    at.text_input(key="login_username").input("lena")
    at.text_input(key="login_password").input("password-123")
    at.button[0].click().run()
    assert any(t.value == "Alpha" for t in at.title)


def test_log_out_ends_the_session_in_the_database(world):
    sessions, made = world
    at = log_in("ada")
    assert live(sessions, made.ada.id) == 1
    at.sidebar.button(key="logout").click().run()
    assert "user" not in at.session_state and live(sessions, made.ada.id) == 0
    assert at.text_input(key="login_username")


def test_deactivation_ends_an_open_session_on_its_next_rerun(world):
    sessions, made = world
    at = log_in("ada")
    admin.set_active(sessions, made.admin, "ada", False)
    at.run()
    assert "user" not in at.session_state and at.text_input(key="login_username")


def test_a_password_reset_ends_an_open_session_on_its_next_rerun(world):
    sessions, made = world
    at = log_in("ada")
    admin.reset_password(sessions, made.admin, "ada", "another-password")
    at.run()
    assert "user" not in at.session_state and at.text_input(key="login_username")


def test_log_out_everywhere_on_my_progress_ends_every_session(world):
    sessions, made = world
    elsewhere = log_in("ada")
    at = log_in("ada")
    assert live(sessions, made.ada.id) == 2
    at.switch_page("app_pages/progress.py").run()
    assert any("logged in in 2 browsers" in c.value for c in at.caption)
    at.button(key="logout_everywhere").click().run()
    assert live(sessions, made.ada.id) == 0 and at.text_input(key="login_username")
    elsewhere.run()
    assert "user" not in elsewhere.session_state
