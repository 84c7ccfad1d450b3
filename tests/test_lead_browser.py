"""End to end in a real headless Chromium, as a cohort lead: log in, open "My cohorts" from the
sidebar, and see the cohort's title, the best-score heatmap drawn and the gradebook download.

The database is seeded before the app starts: an admin, a lead (lena), three learners in the
cohort "Alpha" on the first-steps track (started 14 days ago, so two weeks are open) and a few
graded submits, so the heatmap has values. Saves ``test-artifacts/e2e-lead-heatmap.png``
(``e2e-lead-failure.png`` on failure). Uses Debian's chromium through Playwright and starts
the app the way ``tests/test_browser.py`` does.
"""
from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from courseware.settings import PROJECT_ROOT
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from db.models import Cohort, CohortMember
from db.submissions import create_submission, store_result
from tests.app_server import running_app
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LEARNERS = ("ada", "bob", "cyd")
# (learner, exercise, status, score): ada passes softmax after a failed try; bob is half-way on attention.
SUBMITS = [
    ("ada", "stable-softmax", "failed", 5.0),
    ("ada", "stable-softmax", "passed", 10.0),
    ("ada", "scaled-dot-product-attention", "passed", 20.0),
    ("bob", "stable-softmax", "passed", 10.0),
    ("bob", "scaled-dot-product-attention", "failed", 8.0),
    ("cyd", "stable-softmax", "failed", 2.5),
]
POINTS = {"stable-softmax": 10.0, "scaled-dot-product-attention": 20.0}


def first_steps_content(root: Path) -> Path:
    """A copy of the first-steps track with its lessons and exercises, and the items their texts
    refer to (``[[lesson:id]]``, ``[[exercise:id]]``: the loader refuses a reference to a missing one).

    The app refuses to start when any content file is broken; a snapshot of the one track this
    test needs keeps it independent of lessons and exercises being written elsewhere in the tree.
    """
    from courseware.prose import REFERENCE

    source = PROJECT_ROOT / "lessons" / "tracks" / "first-steps.yaml"
    track = yaml.safe_load(source.read_text())
    (root / "lessons" / "tracks").mkdir(parents=True)
    shutil.copy(source, root / "lessons" / "tracks")
    todo = [(kind, item[kind]) for m in track["modules"] for item in m["items"]
            for kind in ("lesson", "exercise") if kind in item and not item.get("coming")]
    copied: set[tuple[str, str]] = set()
    while todo:
        kind, item_id = todo.pop()
        if (kind, item_id) in copied:
            continue
        copied.add((kind, item_id))
        if kind == "lesson":
            found = next((PROJECT_ROOT / "lessons").rglob(f"{item_id}.md"))
            target = root / found.relative_to(PROJECT_ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(found, target)
            texts = [found.read_text()]
        else:
            folder = PROJECT_ROOT / "exercises" / item_id
            shutil.copytree(folder, root / "exercises" / item_id)
            texts = [(folder / "prompt.md").read_text()]
        todo += [(m.group(1), m.group(2)) for text in texts for m in REFERENCE.finditer(text)]
    return root


def seed_cohort(url: str) -> None:
    """Accounts, the cohort "Alpha" led by lena, and graded submits stored as a worker would."""
    engine = make_engine(url)
    upgrade(engine)
    try:
        with session_factory(engine)() as session:
            users.create_user(session, "the-admin", "admin-password", role="admin")
            lena = users.create_user(session, "lena", "lead-password-1", role="lead", display_name="Lena")
            learners = {name: users.create_user(session, name, f"{name}-password-1") for name in LEARNERS}
            cohort = Cohort(name="Alpha", track_id="first-steps", start_date=date.today() - timedelta(days=14),
                            pacing="weekly")
            session.add(cohort)
            session.flush()
            session.add(CohortMember(cohort_id=cohort.id, user_id=lena.id, role="lead"))
            session.add_all(CohortMember(cohort_id=cohort.id, user_id=u.id, role="learner") for u in learners.values())
            session.commit()
            for name, exercise, status, score in SUBMITS:
                sub = create_submission(session, user_id=learners[name].id, exercise_id=exercise, mode="submit",
                                        code="def f():\n    pass\n")
                session.commit()
                passed = status == "passed"
                tests = [{"name": "test_public", "visibility": "public", "outcome": "passed", "message": ""},
                         {"name": "test_hidden_edge_case", "visibility": "hidden",
                          "outcome": "passed" if passed else "failed",
                          "message": "" if passed else "values differ", "error_class": None if passed else "values"}]
                assert store_result(session, sub.id, status=status, score=score, tests=tests, artifacts=[],
                                    points_possible=POINTS[exercise], error_class=None if passed else "values")
    finally:
        engine.dispose()


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
