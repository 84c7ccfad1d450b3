"""The WIDS track in a real headless Chromium (Debian's chromium through Playwright, against ``streamlit run
serve.py``): a learner picks the track, sees Week 1's outside resources as links, opens the mid-term
(``bigram-nn``) from the outline, pastes the reference solution, clicks Run and, once it has trained on tiny
Shakespeare, sees the public tests pass and the text the model generated.

Screenshots go to test-artifacts/ (``wids-week-1.png``, ``wids-midterm-text.png``; ``wids-*-failure.png``
when the test fails). The app, browser and editor helpers come from ``browser_fixtures.py``.
"""
from __future__ import annotations

import json
import re

import pytest

from browser_fixtures import SCREENSHOTS, editor_frame, launch, log_in, replace_code, server  # noqa: F401
from courseware.corpus import corpus_file
from courseware.loader import load_bank
from db import submissions
from db.engine import make_engine, session_factory
from db.users import find_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRACK = "wids-5-coding-a-gpt"
MIDTERM = "bigram-nn"
# Run trains 3000 steps on tiny Shakespeare (the exercise's limit is 90 s); a loaded machine needs its margin.
VERDICT_TIMEOUT_MS = 240_000


def stored_run_artifacts(settings, username: str) -> dict[str, dict]:
    """The artifacts of ``username``'s latest submission of the mid-term, by name, as the page reads them."""
    engine = make_engine(settings.sqlalchemy_url)
    with session_factory(engine)() as session:
        latest = submissions.list_submissions(session, find_user(session, username).id, MIDTERM, limit=1)[0]
        found = {a.name: {"kind": a.kind, **json.loads(a.payload)}
                 for a in submissions.get_submission(session, latest.id).artifacts}
        mode = latest.mode
    engine.dispose()
    assert mode == "run", mode
    return found


def test_a_learner_sees_wids_week_1_resources_and_the_midterms_generated_text(server, settings):
    from playwright.sync_api import expect, sync_playwright

    if corpus_file(settings.data_dir) is None:  # the settings fixture copies it from ./data or ../shared/data
        pytest.skip("tiny Shakespeare is not in ../shared/data or ./data")
    bank = load_bank(settings.content_dir)
    track = bank.tracks[TRACK]
    week_1 = track.modules[0]
    assert week_1.week == 1 and len(week_1.resources) >= 6, week_1
    exercise_title = bank.exercises[MIDTERM].title
    solution = (settings.content_dir / "exercises" / MIDTERM / "solution.py").read_text()

    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        shot = "wids-week-1"
        try:
            log_in(page, server)
            # Pick the track on the Tracks page, as a learner outside any cohort does.
            picker = page.get_by_test_id("stSelectbox").filter(has_text="Track")
            expect(picker).to_be_visible(timeout=60_000)
            picker.click()
            page.get_by_role("option", name=track.title, exact=True).click()
            expect(page.get_by_role("heading", name=track.title, exact=True)).to_be_visible(timeout=30_000)

            # Week 1's box lists every one of its resources as a link to its address.
            # (the innermost vertical block holding its heading: the module's bordered box, no other module's)
            box = page.get_by_test_id("stVerticalBlock").filter(
                has=page.get_by_role("heading", name=week_1.title, exact=False)).last
            expect(box.get_by_role("heading", level=3)).to_have_count(1)
            expect(box.get_by_text("Outside resources", exact=True)).to_be_visible()
            for resource in week_1.resources:
                link = box.get_by_role("link", name=resource.title, exact=True)
                expect(link).to_be_visible()
                expect(link).to_have_attribute("href", resource.url)
            box.get_by_text("Outside resources", exact=True).scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "wids-week-1.png"))

            # The mid-term, opened from the track's outline.
            shot = "wids-midterm"
            link = page.get_by_role("link", name=f"Exercise: {exercise_title}", exact=False)
            expect(link).to_have_count(1)
            link.click()
            page.wait_for_url(f"**/exercise?id={MIDTERM}", timeout=30_000)
            frame = editor_frame(page)
            replace_code(page, frame, solution)
            frame.get_by_role("button", name="Run public tests").click()
            verdict = page.get_by_text(re.compile(r"Run \(public tests\): (passed|failed)"))
            expect(verdict).to_be_visible(timeout=VERDICT_TIMEOUT_MS)
            expect(verdict).to_contain_text("Run (public tests): passed")
            expect(verdict).to_contain_text("tests passed")

            # What the public tests published: the generated text, drawn as a code block under its name.
            artifacts = stored_run_artifacts(settings, "grace")
            name = next(n for n in artifacts if n.startswith("generated text"))
            assert artifacts[name]["kind"] == "text"
            generated = artifacts[name]["text"]
            assert len(generated) == 500 and re.search(r"[a-z]{2,} [a-z]{2,}", generated), generated
            heading = page.get_by_text(name, exact=True)
            expect(heading).to_be_visible(timeout=30_000)
            # The verdict's line is drawn before the artifacts under it: wait for the block to arrive.
            words = generated.split()
            block = page.get_by_test_id("stCode").filter(has_text=" ".join(words[:3]))
            expect(block).to_have_count(1, timeout=30_000)
            expect(block).to_have_text(" ".join(words), use_inner_text=True)  # whitespace runs collapsed
            assert block.inner_text().split() == words
            block.scroll_into_view_if_needed()
            page.screenshot(path=str(SCREENSHOTS / "wids-midterm-text.png"))
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / f"{shot}-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
