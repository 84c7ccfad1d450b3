"""Chromium against the real app, for the browser tests: the ``server`` fixture (``streamlit run`` on a
free port, with an admin and the learner grace), Debian's chromium through Playwright, and helpers
for logging in and for the exercise editor (``ui/code_editor.py``).

A fixture module, not a test module: browser test modules import from here (``tests/test_browser.py``
re-exports the names other modules import from it).
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

from config import PROJECT_ROOT
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from ports import free_port

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
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "serve.py"), "--server.address", "127.0.0.1",
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


def launch(pw):
    """Headless Debian chromium; fails with what to install when it is missing."""
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: run `make test` (it installs it) or `apt-get install chromium`")
    return pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def log_in(page, url: str, username: str = "grace", password: str = "hopper-1906") -> None:
    """Open ``url`` (a deep link opens after log-in) and log in."""
    page.goto(url)
    page.get_by_role("textbox", name="Username", exact=True).fill(username)
    page.get_by_role("textbox", name="Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()


def editor_frame(page):
    """The exercise editor's frame, once its CodeMirror is drawn."""
    from playwright.sync_api import expect

    frame = page.frame_locator("iframe[title*='course_code_editor']")
    expect(frame.locator(".cm-content")).to_be_visible(timeout=60_000)
    return frame


def replace_code(page, frame, code: str) -> None:
    """Select everything in the editor and type ``code`` over it, the way a learner pastes."""
    frame.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(code)
