"""Log-in sessions end to end in a real headless Chromium, on the app as ``make run`` starts it
(``streamlit run serve.py``): a reload and a new tab keep the session; log-out, "log out
everywhere" and deactivation end it; a lead's deep link to ``/cohorts`` opened while logged out
lands on the cohort after log-in, with no "Page not found" dialog.

One server for the module, on the cohort of ``test_lead_browser`` (lena leads "Alpha"; ada, bob
and cyd learn in it); each test uses its own account and browser context. Screenshots go to
``test-artifacts/e2e-session-*.png``.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from app_server import running_app
from conftest import make_settings
from browser_fixtures import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from lead_fixtures import first_steps_content, seed_cohort

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORDS = {"ada": "ada-password-1", "bob": "bob-password-1", "cyd": "cyd-password-1", "lena": "lead-password-1"}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(URL, settings) of one running app on the seeded cohort."""
    root = tmp_path_factory.mktemp("sessions")
    settings = make_settings(root / "data")
    seed_cohort(settings.sqlalchemy_url)
    content = first_steps_content(root / "content")
    with running_app(settings.data_dir, content) as url:
        yield url, settings


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test` (it installs it) or `apt-get install chromium`")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def log_in(page, username: str) -> None:
    page.get_by_role("textbox", name="Username", exact=True).fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(PASSWORDS[username])
    page.get_by_role("button", name="Log in").click()


def expect_logged_in(page, username: str) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_text(f"Logged in as {username}", exact=False)).to_be_visible(timeout=30_000)


def expect_logged_out(page) -> None:
    from playwright.sync_api import expect

    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Logged in as", exact=False)).to_have_count(0)


def session_cookie(context) -> dict | None:
    return next((c for c in context.cookies() if c["name"] == "course_session"), None)


def shot(page, name: str) -> None:
    page.wait_for_timeout(500)
    page.screenshot(path=str(SCREENSHOTS / f"e2e-session-{name}.png"))


def journey(browser, name: str, steps) -> None:
    """Run ``steps(context, page)`` in a fresh browser context; a failure leaves a full-page screenshot."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        steps(context, page)
    except Exception:
        for n, p in enumerate(context.pages):
            p.screenshot(path=str(SCREENSHOTS / f"e2e-session-{name}-failure-{n}.png"), full_page=True)
        raise
    finally:
        context.close()


def test_a_reload_and_a_new_tab_keep_the_session_and_log_out_ends_it(app, browser):
    url, _ = app
    from playwright.sync_api import expect

    def steps(context, page):
        page.goto(url)
        log_in(page, "ada")
        expect_logged_in(page, "ada")
        cookie = session_cookie(context)
        assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Lax", cookie
        assert not cookie["secure"] and cookie["expires"] > 0, cookie  # persistent; Secure only behind HTTPS
        page.reload()
        expect_logged_in(page, "ada")
        expect(page.get_by_text("Deploy", exact=True)).to_have_count(0)  # client.toolbarMode = "minimal"
        shot(page, "after-reload")
        other = context.new_page()
        other.goto(f"{url}/progress")
        expect_logged_in(other, "ada")
        shot(other, "new-tab")
        page.get_by_role("button", name="Log out").click()
        expect_logged_out(page)
        assert session_cookie(context) is None  # the logout route dropped it
        page.reload()
        expect_logged_out(page)
        other.reload()
        expect_logged_out(other)
        shot(page, "after-log-out")

    journey(browser, "reload", steps)


def test_deactivation_ends_the_session_in_an_open_tab(app, browser):
    url, settings = app
    from db.engine import make_engine, session_factory
    from portal import admin
    from portal.auth import CurrentUser

    def steps(context, page):
        page.goto(url)
        log_in(page, "cyd")
        expect_logged_in(page, "cyd")
        engine = make_engine(settings.sqlalchemy_url)
        try:
            admin.set_active(session_factory(engine), CurrentUser(0, "root", "root", "admin"), "cyd", False)
        finally:
            engine.dispose()
        page.get_by_role("link", name="My progress").click()  # the next rerun finds no session
        expect_logged_out(page)
        page.reload()
        expect_logged_out(page)
        shot(page, "deactivated")

    journey(browser, "deactivated", steps)


def test_log_out_everywhere_ends_the_other_browsers_sessions(app, browser):
    url, _ = app
    from playwright.sync_api import expect

    def first(context, page):
        page.goto(url)
        log_in(page, "bob")
        expect_logged_in(page, "bob")

        def second(context2, page2):
            page2.goto(url)
            log_in(page2, "bob")
            expect_logged_in(page2, "bob")
            page2.get_by_role("link", name="My progress").click()
            button = page2.get_by_role("button", name="Log out everywhere")
            expect(button).to_be_visible(timeout=30_000)
            button.click()
            expect_logged_out(page2)

        journey(browser, "everywhere-2", second)
        page.reload()
        expect_logged_out(page)
        shot(page, "logged-out-everywhere")

    journey(browser, "everywhere", first)


def test_a_leads_deep_link_to_cohorts_lands_on_the_cohort_after_log_in(app, browser):
    url, _ = app
    from playwright.sync_api import expect

    def steps(context, page):
        page.goto(f"{url}/cohorts")
        expect_logged_out(page)
        page.wait_for_timeout(1000)
        expect(page.get_by_text("Page not found")).to_have_count(0)
        shot(page, "deep-link-log-in")
        log_in(page, "lena")
        expect(page.get_by_role("heading", name="Alpha", exact=True)).to_be_visible(timeout=30_000)
        assert page.url.rstrip("/").endswith("/cohorts"), page.url
        expect(page.get_by_text("Page not found")).to_have_count(0)
        shot(page, "deep-link-landed")

    journey(browser, "deep-link", steps)
