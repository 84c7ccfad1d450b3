"""Regrades on the pages: the admin's Regrade tab, the learner's notice, older verdicts marked on the
exercise page, My progress and the lead's cohort page, through AppTest (Chromium: test_regrade_browser.py)."""
from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from courseware.content_version import content_version
from courseware.loader import load_bank
from db.models import FINAL_STATUSES, Submission
from portal import admin
from portal.regrade import STALE_LABEL
from admin_page_fixtures import add_account, open_page, page_sessions, tiny_app_env  # noqa: F401  (the fixture)
from app_fixtures import logged_in
from regrade_fixtures import OLD_VERSION, graded

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

def table(at, column: str):
    """The dataframe that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def wait_regraded(sessions, original_id: int, timeout_s: float = 90) -> Submission:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with sessions() as session:
            new = session.scalar(select(Submission).where(Submission.regrade_of == original_id))
            if new is not None and new.status in FINAL_STATUSES:
                return new
        time.sleep(0.2)
    raise AssertionError(f"no final regrade of {original_id} after {timeout_s}s")


@pytest.mark.slow
def test_an_admin_regrades_from_the_page_and_the_learner_sees_the_new_verdict(tiny_app_env):
    boss = add_account(tiny_app_env, "boss", "admin")
    ada = add_account(tiny_app_env, "ada", "learner")
    sessions = page_sessions(tiny_app_env)
    original = graded(sessions, ada.id, score=5, status="failed", version=OLD_VERSION)

    at = open_page(boss)
    assert at.selectbox(key="admin_regrade_exercise").options == ["Double a tensor (double)"]
    assert at.selectbox(key="admin_regrade_cohort").options == ["(all learners)"]
    at.selectbox(key="admin_regrade_exercise").set_value("double")
    at.button(key="admin_regrade").click().run()
    assert not at.exception, at.exception
    [message] = [s.value for s in at.success]
    assert message.startswith("Queued 1 submission(s) of 'double' for regrading against tests version "), message
    regrade = wait_regraded(sessions, original)
    assert (regrade.status, regrade.score) == ("passed", 10)
    at.button(key="admin_regrade").click().run()
    assert any("Queued 0 submission(s)" in s.value and "1 already graded against these tests" in s.value
               for s in at.success)

    learner = logged_in(tiny_app_env, "ada", "correct horse")
    learner.switch_page("app_pages/exercise.py")
    learner.query_params["id"] = "double"
    learner.run()
    assert not learner.exception, learner.exception
    notices = [w.value for w in learner.warning if "regraded" in w.value]
    assert len(notices) == 1 and "against updated tests: was 5/10, now 10/10." in notices[0], notices
    assert f"{date.today():%d %b %Y}" in notices[0]
    assert any("tests passed" in s.value for s in learner.success)  # the new verdict is drawn
    history = table(learner, "note")
    notes = dict(zip(history["submission_id"], history["note"]))
    assert notes[original] == f"superseded by regrade #{regrade.id}; {STALE_LABEL}"
    assert notes[regrade.id] == f"regrade of #{original}"
    assert not any(STALE_LABEL in w.value for w in learner.warning)  # the best score is current now
    sessions.kw["bind"].dispose()


def test_older_verdicts_are_marked_on_the_exercise_page_my_progress_and_the_cohort_page(tiny_app_env):
    boss = add_account(tiny_app_env, "boss", "admin")
    ada = add_account(tiny_app_env, "ada", "learner")
    sessions = page_sessions(tiny_app_env)
    admin.create_cohort(sessions, boss, name="Spring", track_id="tiny", start_date=date.today() - timedelta(days=3),
                        pacing="all-open", known_tracks={"tiny"})
    admin.move_learner(sessions, boss, "ada", "Spring")
    stale = graded(sessions, ada.id, score=5, status="failed", version=OLD_VERSION)

    learner = logged_in(tiny_app_env, "ada", "correct horse")
    learner.switch_page("app_pages/progress.py").run()
    assert not learner.exception, learner.exception
    assert any(f"Your best score on **Double a tensor** was {STALE_LABEL}" in w.value for w in learner.warning)
    learner.switch_page("app_pages/exercise.py")
    learner.query_params["id"] = "double"
    learner.run()
    assert any(f"Your best score was {STALE_LABEL}" in w.value for w in learner.warning)
    assert not any("regraded" in w.value for w in (*learner.warning, *learner.info))
    assert list(table(learner, "note")) and table(learner, "note")["note"][0] == STALE_LABEL

    lead = logged_in(tiny_app_env, "boss", "correct horse")
    lead.switch_page("app_pages/cohort.py").run()
    assert not lead.exception, lead.exception
    assert any(f"Outlined in orange: 1 best score(s) {STALE_LABEL}" in c.value for c in lead.caption)
    drill = table(lead, "why")
    assert list(drill["attempt"]) == [stale] and list(drill["note"]) == [STALE_LABEL]

    # Graded again against the current tests: nothing is marked any more.
    spec = load_bank(tiny_app_env.content_dir).exercises["double"]
    graded(sessions, ada.id, score=5, status="failed", version=content_version(spec))
    learner.switch_page("app_pages/progress.py").run()
    assert not any(STALE_LABEL in w.value for w in learner.warning)
    lead.run()
    assert not any("Outlined in orange" in c.value for c in lead.caption)
    sessions.kw["bind"].dispose()
