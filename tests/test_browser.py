"""End to end in a real headless Chromium: log in, open the attention exercise, type the
solution into the editor, submit, and see "passed". Saves a screenshot.

Uses Debian's chromium (``/usr/bin/chromium``) through Playwright; nothing is downloaded.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from courseware.settings import PROJECT_ROOT
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = PROJECT_ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def server(settings):
    """The real app under `streamlit run` on a free loopback port, with one learner account."""
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        users.create_user(session, "the-admin", "admin-password", role="admin")
        users.create_user(session, "grace", "hopper-1906")
        session.commit()
    engine.dispose()
    port = free_port()
    env = {**os.environ, "COURSE_DATA_DIR": str(settings.data_dir), "COURSE_CONTENT_DIR": str(settings.content_dir)}
    log = open(settings.data_dir / "streamlit.log", "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).status == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start: " + (settings.data_dir / "streamlit.log").read_text()[-2000:])
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_a_learner_submits_attention_in_chromium_and_sees_passed(server):
    from playwright.sync_api import expect, sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test` (it installs it) or `apt-get install chromium`")
    solution = (PROJECT_ROOT / "exercises" / "scaled-dot-product-attention" / "solution.py").read_text()
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            page.goto(server)
            page.get_by_role("textbox", name="Username", exact=True).fill("grace")
            page.get_by_role("textbox", name="Password", exact=True).fill("hopper-1906")
            page.get_by_role("button", name="Log in").click()
            link = page.get_by_role("link", name="Exercise: Scaled dot-product attention")
            expect(link).to_be_visible(timeout=30_000)
            link.click()
            frame = page.frame_locator("iframe[title*='streamlit_ace']")
            editor = frame.locator(".ace_editor")
            expect(editor).to_be_visible(timeout=30_000)
            # Type the way a learner pastes: select everything, then insert the solution text.
            frame.locator(".ace_text-input").focus()
            page.keyboard.press("Control+A")
            page.keyboard.press("Delete")
            page.keyboard.insert_text(solution)
            expect(frame.locator(".ace_content")).to_contain_text("def scaled_dot_product_attention")
            page.wait_for_timeout(1500)  # let the editor's auto-update reach the server
            page.get_by_role("button", name="Submit (all tests)").click()
            expect(page.get_by_text("passed", exact=False).first).to_be_visible(timeout=90_000)
            expect(page.get_by_text("tests passed")).to_contain_text("passed", timeout=90_000)
            verdict = page.get_by_text("tests passed").inner_text()
            page.get_by_text("tests passed").scroll_into_view_if_needed()
            page.wait_for_timeout(1000)
            page.screenshot(path=str(SCREENSHOTS / "e2e-attention-passed.png"))
            assert "**passed**" not in verdict and "passed" in verdict, verdict
            assert "failed" not in verdict and "error" not in verdict, verdict
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "e2e-attention-failure.png"), full_page=True)
            raise
        finally:
            browser.close()
