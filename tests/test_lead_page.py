"""The lead's cohort page and the learner's progress page through AppTest, with access rules."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from config import PROJECT_ROOT

from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal import cohorts as cohort_admin

from cohort_fixtures import graded, seed
from app_fixtures import APP, app_env, log_in, table  # noqa: F401  (app_env: the fixture)

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


def seeded(settings):
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    sessions = session_factory(engine)
    world = seed(sessions, track_id="first-steps")
    graded(sessions, world.ada.id, "stable-softmax", "failed", score=4, hidden_failures=("test_big_values",))
    graded(sessions, world.bob.id, "stable-softmax", "passed", score=10)
    cohort_admin.set_deadline(sessions, world.lena, world.alpha, "week-1-softmax", date.today() - timedelta(days=1))
    return engine, world


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


def test_heatmap_bands_keep_not_open_and_not_attempted_apart_from_zero():
    from portal.dashboard import SCORE_BANDS, score_band

    assert score_band(is_open=False, attempts=0, percent=0) == "not open"
    assert score_band(is_open=True, attempts=0, percent=0) == "not attempted"
    assert score_band(is_open=True, attempts=2, percent=0) == "0 %"
    assert score_band(is_open=False, attempts=1, percent=100) == "100 %"  # handed in before a date moved
    assert [score_band(is_open=True, attempts=1, percent=p) for p in (1, 49, 50, 99)] == \
        ["1–49 %", "1–49 %", "50–99 %", "50–99 %"]
    assert len(set(SCORE_BANDS)) == 6


def test_attempt_rows_have_human_names_and_empty_cells():
    from datetime import datetime, timezone

    from portal.drilldown import Attempt, attempt_rows

    when = datetime(2026, 12, 4, 9, 30, tzinfo=timezone.utc)
    rows = attempt_rows([Attempt(7, "stable-softmax", "submit", "queued", None, when, None, None, "x"),
                         Attempt(6, "stable-softmax", "run", "failed", 2.5, when, 12, "shape", "x", "note")],
                        {"stable-softmax": "Stable softmax"})
    assert list(rows[0]) == ["attempt", "exercise", "mode", "status", "score", "when (UTC)", "late (min)", "why",
                             "note"]
    assert rows[0] == {"attempt": 7, "exercise": "Stable softmax", "mode": "Submit (all tests)", "status": "queued",
                       "score": "", "when (UTC)": "2026-12-04 09:30", "late (min)": "", "why": "", "note": ""}
    assert (rows[1]["score"], rows[1]["late (min)"], rows[1]["why"]) == ("2.5", "12", "shape")


def test_the_leads_page_draws_bands_a_legend_distinct_series_and_tables_without_none(app_env):
    import json

    from portal.dashboard import BAND_COLOURS, SCORE_BANDS

    engine, world = seeded(app_env)
    at = log_in("lena")
    at.switch_page("app_pages/cohort.py").run()
    assert not at.exception, at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    heat = next(s for s in specs if s.get("mark", {}).get("type") == "rect" or s.get("mark") == "rect")
    color = heat["encoding"]["color"]
    assert color["field"] == "band" and color["scale"]["domain"] == list(SCORE_BANDS) \
        and color["scale"]["range"] == list(BAND_COLOURS) and color.get("legend") is not None
    from portal.dashboard import cohort_dashboard, heatmap_cells
    from ui.session import get_context

    ctx = get_context()
    data = cohort_dashboard(ctx.sessions, ctx.bank, world.lena, world.alpha, today=date.today())
    cells = heatmap_cells(data, {e: ctx.bank.exercises[e].points for e, _ in data.exercises})
    band = {(c["learner"], c["exercise_id"]): c["band"] for c in cells}
    assert band["bob", "stable-softmax"] == "100 %" and band["ada", "stable-softmax"] == "1–49 %"
    assert band["cyd", "stable-softmax"] == "not attempted" and not data.not_open  # week 3 opens today
    completion = next(s for s in specs if "layer" in s)
    encodings = [layer["encoding"] for layer in completion["layer"]]
    assert any("strokeDash" in e for e in encodings) and any("shape" in e for e in encodings)
    drill = table(at, "why")
    assert list(drill.columns)[:2] == ["attempt", "exercise"] and "id" not in drill.columns
    for df in at.dataframe:
        assert "None" not in df.value.astype(str).to_numpy().ravel().tolist(), df.value
    engine.dispose()


def test_exercises_of_modules_not_open_yet_are_not_open(app_env):
    from portal.dashboard import cohort_dashboard

    engine = make_engine(app_env.sqlalchemy_url)
    upgrade(engine)
    world = seed(session_factory(engine), track_id="first-steps", started_days_ago=3)
    from courseware.loader import load_bank

    data = cohort_dashboard(session_factory(engine), load_bank(app_env.content_dir), world.lena, world.alpha,
                            today=date.today())
    assert data.not_open == {"scaled-dot-product-attention", "bigram-model"}
    engine.dispose()
