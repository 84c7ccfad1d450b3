"""The whole stack of ``scripts/stack.sh`` through its proxy, in a real headless Chromium: PostgreSQL,
Redis, a Celery worker, two app replicas and nginx, all started by the script on free ports.

A learner logs in through nginx, submits, and sees the live chart while the Celery worker grades,
then the verdict. The replica that served the browser is then killed (SIGKILL, as a crash): the
same tab reconnects through nginx to the other replica, still logged in (the log-in is a row in
the database, the cookie reaches every replica), and a second Submit shows its live chart and
verdict too. ``status`` reports the dead replica, and ``up`` again restarts only that one.

Runs in the SQLite pass of ``make test`` (the stack has its own PostgreSQL anyway); the PostgreSQL
pass leaves browser tests out. Screenshot on failure: ``test-artifacts/stack-failure.png``.
"""
from __future__ import annotations

import os
import signal
import textwrap

import pytest
from sqlalchemy import select

from browser_fixtures import SCREENSHOTS, editor_frame, launch, log_in, replace_code
from conftest import write_content
from db.engine import make_engine, session_factory
from db.models import Submission, User
from stack_fixtures import running_stack

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Public test of the content's "double" exercise: redraws a growing curve for about 4.5 s, so the
# page's 0.4 s polling shows it while the worker grades, then passes for a correct double().
GROWING = textwrap.dedent("""\
    import time
    import torch
    from course_harness import artifacts, assert_tensor_close, get_function

    def test_doubles_while_drawing():
        board = artifacts()
        ys = []
        for step in range(15):
            ys.append(10.0 - step)
            board.live_line("loss so far", ys, x_label="step", y_label="loss")
            time.sleep(0.3)
        double = get_function("double", "double(x)")
        assert_tensor_close(double(torch.ones(3)), torch.full((3,), 2.0), name="double(x)")
    """)
SOLUTION = "def double(x):\n    return x * 2\n"


@pytest.fixture
def stack(tmp_path):
    """The stack on a one-exercise content tree whose public test draws a live chart."""
    content = write_content(tmp_path / "content")
    (content / "exercises" / "double" / "tests" / "test_public.py").write_text(GROWING)
    with running_stack(content, STACK_ADMIN="the-admin", STACK_ADMIN_PASSWORD="admin-password") as started:
        yield started


def served_by(page) -> str:
    """The replica nginx sends this browser to now, from the X-Upstream header of a request that
    carries the browser's cookies, as its websocket does (the last address when nginx tried several)."""
    header = page.evaluate("async () => (await fetch('/_stcore/health', {cache: 'no-store'}))"
                           ".headers.get('X-Upstream')")
    assert header, "nginx sent no X-Upstream header"
    return header.split(",")[-1].strip()


def submit_and_watch(page, attempt: int) -> None:
    """Submit the solution; the live chart shows while the worker grades, then the verdict."""
    from playwright.sync_api import expect

    frame = editor_frame(page)
    replace_code(page, frame, SOLUTION)
    frame.get_by_role("button", name="Submit (all tests)").click()
    # The chart exists only while the job runs (it is display only, not part of the verdict).
    expect(page.get_by_text("loss so far").first).to_be_visible(timeout=120_000)
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    expect(page.get_by_text("Submit (all tests): passed").first).to_be_visible(timeout=120_000)
    expect(page.get_by_text(f"Your attempts ({attempt})").first).to_be_visible(timeout=30_000)


def test_a_learner_keeps_working_through_the_proxy_when_their_replica_dies(stack):
    from playwright.sync_api import expect, sync_playwright

    assert "the-admin" in stack.cli("users", "list")  # made by `up` (STACK_ADMIN)
    stack.cli("users", "add", "grace", "--name", "Grace H.", "--password", "hopper-1906")
    SCREENSHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        try:
            log_in(page, f"{stack.url}/exercise?id=double")
            editor_frame(page)
            first = served_by(page)
            submit_and_watch(page, attempt=1)

            # Kill the replica this browser is on. nginx finds it dead and sends the tab's new
            # websocket to the other one; the page reruns there with the cookie: still logged in.
            with page.expect_websocket(timeout=90_000):
                os.kill(stack.replica_pid(first), signal.SIGKILL)
            second = served_by(page)
            assert second != first and second.endswith(tuple(f":{p}" for p in stack.app_ports)), (first, second)
            submit_and_watch(page, attempt=2)
            expect(page.get_by_role("button", name="Log in")).to_have_count(0)
        except Exception:
            page.screenshot(path=str(SCREENSHOTS / "stack-failure.png"), full_page=True)
            raise
        finally:
            browser.close()

    # Both verdicts were graded by the stack's Celery worker and stored in its PostgreSQL.
    engine = make_engine(stack.state["DATABASE_URL"])
    with session_factory(engine)() as session:
        rows = session.execute(select(Submission.mode, Submission.status, Submission.worker)
                               .join(User, User.id == Submission.user_id).where(User.username == "grace")
                               .order_by(Submission.id)).all()
    engine.dispose()
    worker = stack.pid("worker")
    assert [(mode, status) for mode, status, _ in rows] == [("submit", "passed")] * 2, rows
    assert all(w.endswith(f":{worker}") for _, _, w in rows), (rows, worker)

    # `status` reports the dead replica; `up` again starts only what is missing.
    status = stack.script("status")
    assert status.returncode == 3 and status.stdout.count("stopped") == 1, status.stdout
    up = stack.script("up", timeout_s=300)
    assert up.returncode == 0, up.stdout + up.stderr
    assert up.stdout.count("already running") == 5, up.stdout  # postgres, redis, worker, the other app, nginx
    status = stack.script("status")
    assert status.returncode == 0 and "stopped" not in status.stdout, status.stdout
