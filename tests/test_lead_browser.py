"""End to end in a real headless Chromium, as a cohort lead: log in, open "My cohorts" from the
sidebar, and see the cohort's title, the best-score heatmap drawn and the gradebook download.

The database is seeded before the app starts: an admin, a lead (lena), three learners in the
cohort "Alpha" on the first-steps track (started 14 days ago, so two weeks are open) and a few
graded submits, so the heatmap has values. Saves ``test-artifacts/e2e-lead-heatmap.png``
(``e2e-lead-failure.png`` on failure). Uses Debian's chromium through Playwright and starts
the app the way ``tests/test_browser.py`` does.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from app_server import running_app
from browser_fixtures import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from lead_fixtures import first_steps_content, seed_cohort

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def lead_server(settings, tmp_path):
    """The real app as ``make run`` starts it (``streamlit run serve.py``) on the seeded database."""
    seed_cohort(settings.sqlalchemy_url)
    content = first_steps_content(tmp_path / "content")
    with running_app(settings.data_dir, content) as url:
        yield url


def test_a_lead_opens_my_cohorts_and_sees_the_heatmap(lead_server):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test` (it installs it) or `apt-get install chromium`")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(lead_server)
            page.get_by_role("textbox", name="Username", exact=True).fill("lena")
            page.get_by_role("textbox", name="Password", exact=True).fill("lead-password-1")
            page.get_by_role("button", name="Log in").click()
            # A lead starts on their cohort (portal.landing); the sidebar link opens it too.
            link = page.get_by_role("link", name="My cohorts")
            expect(link).to_be_visible(timeout=30_000)
            link.click()
            expect(page.get_by_role("heading", name="Alpha", exact=True)).to_be_visible(timeout=30_000)
            expect(page.get_by_text("3 learners")).to_be_visible()
            # st.altair_chart(key="heatmap") puts its chart in an element with class st-key-heatmap; the
            # chart element is also Vega-Embed's root (class vega-embed), and Vega draws into an
            # svg.marks (Streamlit's renderer) or a canvas once the spec compiled and the data loaded.
            heatmap = page.locator(".st-key-heatmap [data-testid='stVegaLiteChart']")
            expect(heatmap).to_be_visible(timeout=30_000)
            drawn = heatmap.locator("svg.marks, canvas").first
            expect(drawn).to_be_visible(timeout=30_000)
            box = drawn.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100, box
            if heatmap.locator("svg.marks").count():
                # The svg renderer labels each cell with its tooltip fields: one cell per learner and
                # exercise of the track (unattempted ones at 0), best scores as stored.
                cells = heatmap.locator("g.mark-rect path[aria-label*='learner: ']")
                expect(cells).to_have_count(3 * 3)  # ada, bob, cyd × the track's three exercises
                expect(cells.and_(page.locator("[aria-label*='learner: ada;'][aria-label*='best: 20;']"))
                       ).to_have_count(1)
            # The legend names the bands that are not scores apart from 0 % (portal.dashboard.score_band).
            legend = page.locator(".st-key-heatmap")
            for band in ("not open", "not attempted", "0 %", "100 %"):
                expect(legend.get_by_text(band, exact=True)).to_have_count(1)
            expect(page.get_by_role("button", name="⬇ Gradebook (CSV)")).to_be_visible()
            expect(page.get_by_text("Best score per learner and exercise")).to_be_visible()
            heatmap.scroll_into_view_if_needed()
            page.wait_for_timeout(1000)  # let Vega finish painting before the screenshot
            page.screenshot(path=str(SCREENSHOTS / "e2e-lead-heatmap.png"))
            completion = page.locator(".st-key-completion")
            completion.scroll_into_view_if_needed()
            expect(completion.locator("svg.marks, canvas").first).to_be_visible(timeout=30_000)
            page.wait_for_timeout(1000)
            completion.screenshot(path=str(SCREENSHOTS / "e2e-lead-completion.png"))
            # A click on a cell opens that learner's attempts in a dialog, where the eye is.
            heatmap.scroll_into_view_if_needed()
            cell = heatmap.locator("g.mark-rect path[aria-label*='learner: bob;'][aria-label*='Scaled dot-product']")
            if cell.count():
                cell.first.click()
            else:  # canvas renderer: the cell's place (bob is the second row, attention the second column)
                box = drawn.bounding_box()
                page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + 20)
            dialog = page.get_by_role("dialog")
            expect(dialog).to_be_visible(timeout=30_000)
            expect(dialog.get_by_text("bob", exact=False).first).to_be_visible()
            expect(dialog.locator("[data-testid='stDataFrame']")).to_be_visible()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SCREENSHOTS / "e2e-lead-drill-dialog.png"))
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "e2e-lead-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
