"""Recovery: a grader killed mid-job, and the whole app killed with jobs queued and running."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from config import PROJECT_ROOT
from db import submissions
from portal.context import build_context

from conftest import make_settings

pytestmark = [pytest.mark.slow, pytest.mark.database]
SLOW_PASS = "import time\ndef double(x):\n    time.sleep(1.5)\n    return x * 2\n"


def test_a_grader_killed_mid_job_ends_the_job_with_a_reason_and_comes_back(tmp_path, content_tree, new_warm_engine):
    from courseware.loader import load_bank

    spec = load_bank(content_tree).exercises["double"]
    engine = new_warm_engine(slots=1)
    slot = engine._all[0]
    killer = threading.Timer(0.7, lambda: os.kill(slot.init_pid, signal.SIGKILL))
    killer.start()
    result = engine.check(spec, SLOW_PASS, "run")
    killer.join()
    assert result.status == "error"
    assert "grader restarted" in result.error_reason and "submit again" in result.error_reason
    assert engine.check(spec, "def double(x):\n    return x * 2\n", "run").status == "passed"


def test_killing_the_app_mid_job_loses_nothing(tmp_path, content_tree):
    data = tmp_path / "data"
    script = textwrap.dedent(f"""
        import os, signal, sys, time
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        sys.path.insert(0, {str(PROJECT_ROOT / 'tests')!r})
        from conftest import make_settings
        from db import users, submissions
        from portal.context import build_context
        from pathlib import Path
        ctx = build_context(make_settings(Path({str(data)!r}), Path({str(content_tree)!r})))
        with ctx.sessions() as session:
            uid = users.create_user(session, "ada", "password-123").id
            session.commit()
        # Submits (a newer Run would replace a waiting one): every one must survive the kill.
        ids = [ctx.grading.submit(user_id=uid, exercise_id="double", code={SLOW_PASS!r}, mode="submit").submission_id
               for _ in range(5)]
        while True:
            with ctx.sessions() as session:
                if any(submissions.get_submission(session, i).status == "running" for i in ids):
                    break
            time.sleep(0.05)
        print("KILLING", ids, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=180)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    ids = eval(proc.stdout.split("KILLING", 1)[1].strip())

    ctx = build_context(make_settings(data, content_tree))
    try:
        assert sorted(ctx.recovered) == sorted(ids)  # queued and running ones alike
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with ctx.sessions() as session:
                if not submissions.unfinished_ids(session):
                    break
            time.sleep(0.1)
        with ctx.sessions() as session:
            statuses = [submissions.get_submission(session, i).status for i in ids]
        assert statuses == ["passed"] * 5
    finally:
        ctx.close()
