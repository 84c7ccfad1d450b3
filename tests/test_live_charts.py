"""Charts a running job keeps replacing reach the learner's page before the verdict, and only theirs.

Real parts: the warm sandbox (zygote polling the job's live folder), the local pool, a database
file, and Redis for the board the Celery workers use.
"""
from __future__ import annotations

import sys
import textwrap
import time

import pytest
import redis

from grading.live import MemoryLiveBoard, RedisLiveBoard
from courseware.loader import load_bank
from db import users
from portal.context import build_context

from conftest import make_settings, write_content

pytestmark = pytest.mark.slow

# Publishes a growing curve every 0.3 s for about 3 s, then passes.
GROWING = textwrap.dedent("""\
    import time
    import torch
    from course_harness import artifacts, get_function, assert_tensor_close

    def test_doubles_while_drawing():
        board = artifacts()
        ys = []
        for step in range(10):
            ys.append(10.0 - step)
            board.live_line("loss so far", ys, x_label="step", y_label="loss")
            time.sleep(0.3)
        double = get_function("double", "double(x)")
        assert_tensor_close(double(torch.ones(3)), torch.full((3,), 2.0), name="double(x)")
    """)


@pytest.fixture(scope="module")
def content(tmp_path_factory):
    root = write_content(tmp_path_factory.mktemp("content"))
    (root / "exercises" / "double" / "tests" / "test_public.py").write_text(GROWING)
    return root


def test_the_warm_engine_forwards_live_charts_while_the_job_runs(content, warm_engine):
    spec = load_bank(content).exercises["double"]
    seen: list[tuple[float, list]] = []
    start = time.monotonic()
    result = warm_engine.check(spec, "def double(x):\n    return x * 2\n", "run",
                          on_live=lambda charts: seen.append((time.monotonic() - start, charts)))
    finished = time.monotonic() - start
    assert result.status == "passed", result
    assert len(seen) >= 2, seen                       # redrawn while running, about once a second
    assert seen[0][0] < finished - 0.5                # the first arrived well before the verdict
    first, last = seen[0][1][0], seen[-1][1][0]
    assert first.kind == "line" and first.name == "loss so far"
    assert len(__import__("json").loads(last.payload)["y"]) > len(__import__("json").loads(first.payload)["y"])
    assert all(a.name != "loss so far" for a in result.artifacts)  # display only, not part of the verdict


def test_a_fifo_planted_as_a_live_chart_does_not_stall_the_grader(content, warm_engine):
    spec = load_bank(content).exercises["double"]
    code = textwrap.dedent("""\
        import os, time
        folder = os.path.join(os.environ["COURSE_ARTIFACT_DIR"], "live")
        os.makedirs(folder, exist_ok=True)
        os.mkfifo(os.path.join(folder, "trap.json"))
        os.symlink("/etc/passwd", os.path.join(folder, "leak.json"))
        def double(x):
            return x * 2
        """)
    seen = []
    start = time.monotonic()
    result = warm_engine.check(spec, code, "run", on_live=seen.append)
    assert result.status == "passed" and time.monotonic() - start < 15, result
    texts = [a.payload for charts in seen for a in charts]
    assert not any("root:" in t for t in texts)


def test_only_the_owner_sees_the_charts_of_a_running_submission_and_they_go_when_it_ends(tmp_path, content):
    ctx = build_context(make_settings(tmp_path / "data", content))
    try:
        with ctx.sessions() as session:
            ada = users.create_user(session, "ada", "password-123").id
            bob = users.create_user(session, "bob", "password-123").id
            session.commit()
        receipt = ctx.grading.submit(user_id=ada, exercise_id="double", mode="run",
                                     code="def double(x):\n    return x * 2\n")
        charts, deadline = [], time.monotonic() + 60
        while not charts and time.monotonic() < deadline:
            charts = ctx.grading.live_charts(user_id=ada, submission_id=receipt.submission_id)
            assert ctx.grading.live_charts(user_id=bob, submission_id=receipt.submission_id) == []
            time.sleep(0.1)
        assert charts and charts[0]["kind"] == "line" and charts[0]["name"] == "loss so far"
        while not ctx.grading.verdict(user_id=ada, submission_id=receipt.submission_id).final:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert ctx.grading.live_charts(user_id=ada, submission_id=receipt.submission_id) == []
        assert ctx.backend.live_charts(receipt.submission_id) == []  # cleared, not just hidden
    finally:
        ctx.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_boards_replace_read_and_clear(kind, redis_url):
    board = MemoryLiveBoard() if kind == "memory" else RedisLiveBoard(redis.Redis.from_url(redis_url))
    row = {"name": "loss", "kind": "line", "payload": "{}"}
    assert board.read(7) == []
    board.publish(7, [row])
    board.publish(7, [row | {"name": "newer"}])
    assert board.read(7) == [row | {"name": "newer"}] and board.read(8) == []
    board.clear(7)
    assert board.read(7) == []
