"""The lead's cohort page and the learner's progress page through AppTest, with access rules."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from courseware.settings import PROJECT_ROOT

from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal import cohorts as cohort_admin

from cohort_fixtures import graded, seed
from test_app import APP, app_env  # noqa: F401  (the fixture)


def seeded(settings):
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    sessions = session_factory(engine)
    world = seed(sessions, track_id="first-steps")
    graded(sessions, world.ada.id, "stable-softmax", "failed", score=4, hidden_failures=("test_big_values",))
    graded(sessions, world.bob.id, "stable-softmax", "passed", score=10)
    cohort_admin.set_deadline(sessions, world.lena, world.alpha, "week-1-softmax", date.today() - timedelta(days=1))
    return engine, world


def table(at: AppTest, column: str):
    """The dataframe that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def log_in(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input("password-123")
    at.button[0].click().run()
    assert at.session_state["user"].username == username
    return at


def test_a_lead_sees_only_their_cohort_with_its_heatmap_drill_down_and_gradebook(app_env):
    engine, world = seeded(app_env)
    at = log_in("lena")
    at.switch_page("app_pages/cohort.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="lead_cohort").options == ["Alpha"]
    assert any(t.value == "Alpha" for t in at.title)
    assert at.get("download_button"), "no gradebook download button"
    assert len(at.get("vega_lite_chart")) >= 2  # heatmap and completion chart
    assert list(table(at, "why")["status"]) == ["failed"]  # ada's one attempt (first learner by name)
    at.selectbox(key="drill_learner").set_value(world.bob.id).run()
    assert list(table(at, "why")["status"]) == ["passed"]
    assert "cyd" in list(table(at, "reason")["learner"])
    engine.dispose()


def test_an_admin_sees_every_cohort(app_env):
    engine, _ = seeded(app_env)
    at = log_in("root")
    at.switch_page("app_pages/cohort.py").run()
    assert sorted(at.selectbox(key="lead_cohort").options) == ["Alpha", "Beta"]
    engine.dispose()


def test_a_learner_gets_no_cohort_data_even_on_the_leads_page(app_env):
    engine, _ = seeded(app_env)
    at = log_in("ada")
    with pytest.raises(ValueError, match="Could not find a navigation page"):  # not in a learner's navigation
        at.switch_page("app_pages/cohort.py")
    # Even run directly, the page has nothing to show: the data functions check the viewer.
    direct = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / "cohort.py"), default_timeout=60)
    direct.session_state["user"] = at.session_state["user"]
    direct.run()
    assert any("do not lead any cohort" in i.value for i in direct.info)
    assert not direct.get("vega_lite_chart") and not direct.get("download_button")
    engine.dispose()


def test_a_learners_progress_page_shows_the_overdue_module_and_schedule(app_env):
    engine, _ = seeded(app_env)
    at = log_in("ada")
    at.switch_page("app_pages/progress.py").run()
    assert not at.exception, at.exception
    assert any("overdue" in e.value for e in at.error)
    assert list(table(at, "opens")["module"])[0].startswith("Week 1")
    engine.dispose()
