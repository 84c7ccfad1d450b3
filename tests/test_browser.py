"""End to end in a real headless Chromium: log in, open the attention exercise, type the
solution into the editor, submit, and see "passed". Saves a screenshot.

Uses Debian's chromium (``/usr/bin/chromium``) through Playwright; nothing is downloaded. The app,
the browser and the editor helpers are in ``browser_fixtures.py`` (re-exported here for the modules
that import them from this one).
"""
from __future__ import annotations

import pytest

from browser_fixtures import (CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, editor_frame, launch, log_in,  # noqa: F401
                              replace_code, server)
from config import PROJECT_ROOT
from ports import free_port  # noqa: F401  (re-exported)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_learner_submits_attention_in_chromium_and_sees_passed(server):
    from playwright.sync_api import expect, sync_playwright

    solution = (PROJECT_ROOT / "exercises" / "scaled-dot-product-attention" / "solution.py").read_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            log_in(page, server)
            link = page.get_by_role("link", name="Exercise: Scaled dot-product attention")
            expect(link).to_be_visible(timeout=30_000)
            link.click()
            frame = editor_frame(page)
            replace_code(page, frame, solution)
            expect(frame.locator(".cm-content")).to_contain_text("def scaled_dot_product_attention")
            frame.get_by_role("button", name="Submit (all tests)").click()
            verdict = page.get_by_text("tests passed")
            expect(verdict).to_contain_text("passed", timeout=90_000)
            text = verdict.inner_text()
            # A full-page shot instead of scrolling to the verdict: a rerun may redraw (detach) it.
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SCREENSHOTS / "e2e-attention-passed.png"), full_page=True)
            assert "**passed**" not in text and "passed" in text, text
            assert "failed" not in text and "error" not in text, text
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "e2e-attention-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
