"""The learner's loop in a real headless Chromium (Debian's chromium through Playwright): the editor's
bundled font draws "_", Enter never takes a suggestion (Tab does), a submit clicked right after the last
keystroke grades exactly what was typed, Ctrl+Enter runs the public tests, a failing verdict's whole
message is readable at 1400 px and at 390 px (editor first, no clipped code), a locked exercise shows
its banner with Run and Submit disabled, and next/previous links move through the track.

Screenshots go to test-artifacts/ (``editor-*.png``, ``verdict-*.png``, ``locked-*.png``; ``*-failure.png``
when a test fails). The app, browser and editor helpers come from ``browser_fixtures.py``.
"""
from __future__ import annotations

import contextlib
from datetime import datetime, timezone

import pytest

from browser_fixtures import SCREENSHOTS, editor_frame, launch, log_in, replace_code, server  # noqa: F401
from config import PROJECT_ROOT
from db import submissions, users
from db.engine import make_engine, session_factory
from db.models import Cohort, CohortMember
from db.users import find_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SOFTMAX = "stable-softmax"
FONT_FAMILY = "JetBrains Mono Course"
LONG_MESSAGE_END = "where finite values were expected (overflow in exp? division by zero?)."


def in_cohort(settings, username: str, *, pacing: str, password: str = "hopper-1906") -> None:
    """``username`` (created when missing) learns in a cohort on first-steps that starts today."""
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine)() as session:
        user = find_user(session, username) or users.create_user(session, username, password)
        cohort = Cohort(name=f"Cohort of {username}", track_id="first-steps",
                        start_date=datetime.now(timezone.utc).date(), pacing=pacing)
        session.add(cohort)
        session.flush()
        session.add(CohortMember(cohort_id=cohort.id, user_id=user.id, role="learner"))
        session.commit()
    engine.dispose()


def stored_codes(settings, username: str, exercise_id: str) -> list[tuple[str, str]]:
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine)() as session:
        rows = submissions.list_submissions(session, find_user(session, username).id, exercise_id)
        found = [(s.mode, s.code) for s in rows]
    engine.dispose()
    return found


@contextlib.contextmanager
def browser_page(name: str, width: int = 1400, height: int = 1000):
    """A page in a fresh browser; on failure a full-page screenshot ``<name>-failure.png``."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": width, "height": height})
        try:
            yield page
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / f"{name}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()


def editor_text(frame) -> str:
    return frame.locator(".cm-content").evaluate("() => window.courseEditor.text()")


def test_the_editor_draws_underscores_keeps_enter_for_new_lines_and_grades_what_was_typed(server, settings):
    from playwright.sync_api import expect

    in_cohort(settings, "grace", pacing="all-open")
    solution = (PROJECT_ROOT / "exercises" / SOFTMAX / "solution.py").read_text().rstrip("\n")
    head, tail = solution[:-5], solution[-5:]
    assert not set(tail) & set("([{'\"\n"), tail  # typed keys that CodeMirror completes would change the text
    with browser_page("editor") as page:
        log_in(page, f"{server}/exercise?id={SOFTMAX}")
        frame = editor_frame(page)
        content = frame.locator(".cm-content")

        # The bundled font is the one in use, loaded, with room under the baseline for "_".
        font = content.evaluate("""(el) => {
            const style = getComputedStyle(el);
            const size = parseFloat(style.fontSize), line = parseFloat(style.lineHeight);
            const ctx = document.createElement('canvas').getContext('2d');
            ctx.font = `${style.fontSize} ${style.fontFamily}`;
            const m = ctx.measureText('_');
            const baseline = (line - (m.fontBoundingBoxAscent + m.fontBoundingBoxDescent)) / 2 + m.fontBoundingBoxAscent;
            return {family: style.fontFamily, size, line, inkBottom: baseline + m.actualBoundingBoxDescent,
                    loaded: [...document.fonts].some(f => f.family.includes('JetBrains Mono Course') && f.status === 'loaded')};
        }""")
        assert font["family"].startswith(f'"{FONT_FAMILY}"'), font
        assert font["loaded"], font
        assert font["line"] >= 1.3 * font["size"], font
        assert 0 < font["inkBottom"] <= font["line"] - 1, font  # the underscore's ink lies inside its line

        # Enter starts a new line even while a suggestion is open; Tab takes the suggestion.
        replace_code(page, frame, "values = [1, 2]\n")
        page.keyboard.type("val")
        expect(frame.locator(".cm-tooltip-autocomplete")).to_be_visible(timeout=10_000)
        page.keyboard.press("Enter")
        assert editor_text(frame) == "values = [1, 2]\nval\n"
        page.keyboard.type("val")
        expect(frame.locator(".cm-tooltip-autocomplete")).to_be_visible(timeout=10_000)
        page.keyboard.press("Tab")
        assert editor_text(frame).endswith("\nvalues")
        replace_code(page, frame, "def sigmoid_grad(x_in):\n    return x_in\n")
        page.keyboard.press("Escape")
        page.wait_for_timeout(300)
        frame.locator(".cm-line").first.screenshot(path=str(SCREENSHOTS / "editor-underscore.png"))

        # Type the last keys and click Submit at once: the verdict is for exactly this text.
        replace_code(page, frame, head)
        page.keyboard.type(tail)
        frame.get_by_role("button", name="Submit (all tests)").click()
        verdict = page.get_by_text("tests passed")
        expect(verdict).to_contain_text("Submit (all tests): passed", timeout=90_000)
        assert editor_text(frame) == solution
        assert stored_codes(settings, "grace", SOFTMAX)[0] == ("submit", solution)

        # Ctrl+Enter runs the public tests.
        content.click()
        page.keyboard.press("Control+Enter")
        expect(page.get_by_text("Run (public tests): passed")).to_be_visible(timeout=90_000)
        assert [mode for mode, _ in stored_codes(settings, "grace", SOFTMAX)] == ["run", "submit"]
        page.get_by_text("Run (public tests): passed").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "editor-no-pause-submit.png"))


def test_a_failing_verdicts_whole_message_is_readable_wide_and_on_a_phone(server, settings):
    from playwright.sync_api import expect

    in_cohort(settings, "grace", pacing="all-open")
    with browser_page("verdict-wide", 1400, 1000) as page:
        log_in(page, f"{server}/exercise?id={SOFTMAX}")
        frame = editor_frame(page)
        frame.get_by_role("button", name="Submit (all tests)").click()  # the starter: overflows on large scores
        expect(page.get_by_text("Submit (all tests): failed")).to_be_visible(timeout=90_000)
        message = page.get_by_text(LONG_MESSAGE_END).first
        expect(message).to_be_visible()
        message.scroll_into_view_if_needed()
        box = message.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1400, box
        expect(page.get_by_text("Expected").first).to_be_visible()
        page.get_by_text("pytest output (hidden tests' sections left out)").click()
        output = page.locator("[data-testid='stExpander']").filter(has_text="pytest output").inner_text()
        assert "test_public.py" in output and "/jobs/" not in output and "PytestAssertRewriteWarning" not in output
        page.get_by_text("Submit (all tests): failed").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "verdict-wide.png"))

    with browser_page("verdict-phone", 390, 844) as page:
        log_in(page, f"{server}/exercise?id={SOFTMAX}")  # a new session: the latest verdict comes from the database
        frame = editor_frame(page)
        message = page.get_by_text(LONG_MESSAGE_END).first
        expect(message).to_be_visible(timeout=30_000)
        message.scroll_into_view_if_needed()
        box = message.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        editor_top = page.locator("iframe[title*='course_code_editor']").bounding_box()["y"]
        prompt_top = page.get_by_text("Write a softmax", exact=False).first.bounding_box()["y"]
        assert editor_top < prompt_top, (editor_top, prompt_top)  # the editor comes first on a phone
        clipped = frame.locator(".cm-scroller").evaluate("(el) => el.scrollWidth - el.clientWidth")
        assert clipped <= 1, clipped  # long lines wrap: nothing runs off the right edge
        assert frame.locator("#wrap").is_checked()
        page.screenshot(path=str(SCREENSHOTS / "verdict-phone.png"), full_page=True)


def test_a_locked_exercise_shows_when_it_opens_with_run_and_submit_disabled(server, settings):
    from playwright.sync_api import expect

    in_cohort(settings, "lin", pacing="weekly")  # week 2 (attention) opens in 7 days
    with browser_page("locked") as page:
        log_in(page, f"{server}/exercise?id=scaled-dot-product-attention", username="lin")
        banner = page.get_by_text("Opens on", exact=False).first
        expect(banner).to_be_visible(timeout=60_000)
        frame = editor_frame(page)
        expect(frame.get_by_role("button", name="Submit (all tests)")).to_be_disabled()
        expect(frame.get_by_role("button", name="Run public tests")).to_be_disabled()
        expect(frame.locator("#lock")).to_contain_text("Opens on")
        page.screenshot(path=str(SCREENSHOTS / "locked-exercise.png"))
        page.get_by_role("link", name="Tracks").first.click()
        locked = page.get_by_role("link", name="Exercise: Scaled dot-product attention")
        expect(locked).to_contain_text("🔒", timeout=30_000)
        expect(locked).to_contain_text("opens")
        locked.scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "locked-outline.png"))


def test_next_and_previous_links_move_through_the_track(server, settings):
    from playwright.sync_api import expect

    in_cohort(settings, "grace", pacing="all-open")
    with browser_page("navigation") as page:
        log_in(page, f"{server}/exercise?id={SOFTMAX}")
        editor_frame(page)
        page.get_by_role("link", name="Next →", exact=False).first.click()
        page.wait_for_url("**/lesson?id=scaled-dot-product-attention", timeout=30_000)
        expect(page.get_by_role("heading", name="Scaled dot-product attention").first).to_be_visible()
        page.get_by_role("link", name="← Previous:", exact=False).first.click()
        page.wait_for_url(f"**/exercise?id={SOFTMAX}", timeout=30_000)
        editor_frame(page)
        expect(page.get_by_role("heading", name="Stable softmax").first).to_be_visible()
