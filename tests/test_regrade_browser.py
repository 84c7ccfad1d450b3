"""The learner's regrade notice in a real headless Chromium (Debian's chromium through Playwright):
the exercise page says the verdict was regraded, what it was and what it is now, above the new
verdict. Saves a screenshot in test-artifacts/."""
from __future__ import annotations

from pathlib import Path

import pytest

from courseware.content_version import content_version
from courseware.loader import load_bank
from db.engine import make_engine, session_factory
from db.users import find_user
from browser_fixtures import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, server  # noqa: F401  (server: the fixture)
from regrade_fixtures import OLD_VERSION, graded

pytestmark = [pytest.mark.browser, pytest.mark.slow]


EXERCISE = "scaled-dot-product-attention"


def test_the_regrade_notice_in_chromium(server, settings):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test` (it installs it) or `apt-get install chromium`")
    spec = load_bank(settings.content_dir).exercises[EXERCISE]
    engine = make_engine(settings.sqlalchemy_url)
    sessions = session_factory(engine)
    with sessions() as session:
        grace = find_user(session, "grace").id
    points = spec.points
    original = graded(sessions, grace, exercise_id=EXERCISE, score=points, status="passed", version=OLD_VERSION,
                      points=points, tests=[{"name": "test_matches_reference", "visibility": "public",
                                             "outcome": "passed", "message": "", "duration_s": 0.1}])
    partial = points * 3 / 4
    graded(sessions, grace, exercise_id=EXERCISE, score=partial, status="failed", version=content_version(spec),
           points=points, regrade_of=original,
           tests=[{"name": f"test_case_{i}", "visibility": "public" if i < 2 else "hidden",
                   "outcome": "failed" if i == 3 else "passed", "duration_s": 0.1,
                   "message": "values differ: max error 0.5" if i == 3 else ""} for i in range(4)])
    engine.dispose()
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(f"{server}/exercise?id={EXERCISE}")  # a deep link opens after log-in
            page.get_by_role("textbox", name="Username", exact=True).fill("grace")
            page.get_by_role("textbox", name="Password", exact=True).fill("hopper-1906")
            page.get_by_role("button", name="Log in").click()
            notice = page.get_by_text("Your submission was regraded on")
            expect(notice).to_be_visible(timeout=60_000)
            expect(notice).to_contain_text(f"against updated tests: was {points:g}/{points}, "
                                           f"now {partial:g}/{points}.")
            expect(page.get_by_text("tests passed").first).to_be_visible(timeout=30_000)
            notice.evaluate("e => e.scrollIntoView({block: 'start'})")  # the notice, then the verdict under it
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SCREENSHOTS / "regrade-notice.png"))
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "regrade-notice-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
