"""``python -m learner_cli`` as a learner runs it: a real subprocess against a real API server."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from verdicts.table import render_text, verdict_rows
from config import PROJECT_ROOT
from db import users
from portal.auth import CurrentUser
from portal.tokens import create_token, revoke_token

from learner_api_fixtures import FAILING, PASSING, call, platform  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.database]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home folder of the learner's own, so login never touches the real one."""
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def cli(home: Path, *args: str, env: dict[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the client as a learner would, from the project folder, with no course variables set
    (``stdin``: text piped in; else stdin is not a terminal and holds nothing)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("COURSE_")}
    base.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), **(env or {}))
    return subprocess.run([sys.executable, "-m", "learner_cli", *args], cwd=PROJECT_ROOT, env=base,
                          input=stdin or "", capture_output=True, text=True, timeout=300)


def solution(tmp_path: Path, code: str, name: str = "mine.py") -> str:
    path = tmp_path / name
    path.write_text(code)
    return str(path)


def test_login_stores_the_token_privately_and_submit_uses_it(platform, home, tmp_path):
    token = platform.tokens["ada"]
    done = cli(home, "login", "--server", platform.url, "--token", token)
    assert done.returncode == 0, done.stderr
    assert "as ada" in done.stdout
    stored = home / ".config" / "dl-course" / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    assert stat.S_IMODE(stored.parent.stat().st_mode) == 0o700
    assert token in stored.read_text()

    done = cli(home, "submit", "double", solution(tmp_path, PASSING))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Submit (all tests): passed — 3/3 tests passed, score 10/10" in done.stdout
    # The table is the page's: the same rows, rendered by the same function from the API's verdict.
    submission_id = int(re.search(r"submission (\d+)", done.stderr).group(1))
    status, view = call(platform, "GET", f"/api/v1/submissions/{submission_id}", token)
    assert status == 200 and done.stdout == render_text(view)
    for row in verdict_rows(view["tests"]):
        assert re.search(rf"{re.escape(row['test'])}\s+{row['kind']}\s+{row['result']}", done.stdout)

    assert cli(home, "logout").returncode == 0 and not stored.exists()
    done = cli(home, "submit", "double", solution(tmp_path, PASSING), "--server", platform.url)
    assert done.returncode == 2 and "My progress" in done.stderr and "login" in done.stderr


def test_login_reads_a_piped_token(platform, home):
    done = cli(home, "login", "--server", platform.url, stdin=platform.tokens["ada"] + "\n")
    assert done.returncode == 0, done.stderr
    assert "as ada" in done.stdout and "Token (" not in done.stdout + done.stderr  # no prompt when piped
    assert platform.tokens["ada"] in (home / ".config" / "dl-course" / "credentials.json").read_text()
    done = cli(home, "login", "--server", platform.url, stdin="\n")
    assert done.returncode == 2 and "No token" in done.stderr


def test_a_failing_submission_shows_why_and_exits_1(platform, home, tmp_path):
    done = cli(home, "submit", "double", solution(tmp_path, FAILING), "--mode", "run",
               env={"COURSE_SERVER": platform.url, "COURSE_TOKEN": platform.tokens["bob"]})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Run (public tests): failed — 0/1 tests passed" in done.stdout
    assert re.search(r"test_doubles_a_vector\s+public\s+failed\s+[\d.]+\s+double\(x\) differs", done.stdout)
    assert "pytest output:" in done.stdout  # Run shows pytest's output when it fails, as the page does


def test_code_the_server_rejects_is_a_failed_verdict_with_the_reason(platform, home, tmp_path):
    done = cli(home, "submit", "double", solution(tmp_path, "def double(x:\n"), "--server", platform.url,
               "--token", platform.tokens["bob"])
    assert done.returncode == 1
    assert "Submit (all tests): error — 0/0 tests passed" in done.stdout
    assert "Error: Syntax error at line 1" in done.stdout


def test_check_runs_the_public_tests_on_this_machine(platform, home, tmp_path):
    env = {"COURSE_SERVER": platform.url, "COURSE_TOKEN": platform.tokens["ada"]}
    done = cli(home, "check", "double", solution(tmp_path, PASSING), env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Check (public tests, run on this machine): passed — 1/1 tests passed" in done.stdout
    assert re.search(r"test_doubles_a_vector\s+public\s+passed", done.stdout)
    assert "loss: a line plot" in done.stdout  # what the test published

    done = cli(home, "check", "double", solution(tmp_path, FAILING), env=env)
    assert done.returncode == 1
    assert re.search(r"test_doubles_a_vector\s+public\s+failed\s+[\d.]+\s+double\(x\) differs", done.stdout)

    # Refused before running, in the server's words.
    done = cli(home, "check", "double", solution(tmp_path, "def double(x):\n    return x +\n"), env=env)
    assert done.returncode == 1 and "Check (public tests, run on this machine): error" in done.stdout
    assert "Error: Syntax error at line 2" in done.stdout

    mine = solution(tmp_path, "def double(x):\n    raise ValueError('not yet')\n", name="draft.py")
    done = cli(home, "check", "double", mine, env=env)
    assert done.returncode == 1 and "ValueError: not yet (in your code, line 2)" in done.stdout
    assert f"{mine}:2: in double" in done.stdout and "dl-course-check-" not in done.stdout


def test_check_stops_a_run_past_its_time_limit(platform, home, tmp_path):
    looping = "import time\n\ndef double(x):\n    time.sleep(600)\n"
    done = cli(home, "check", "double", solution(tmp_path, looping), "--timeout", "8",
               env={"COURSE_SERVER": platform.url, "COURSE_TOKEN": platform.tokens["ada"]})
    assert done.returncode == 1 and "longer than 8 s" in done.stdout and "--timeout" in done.stdout


def test_trouble_exits_2_with_a_message_saying_what_to_do(platform, home, tmp_path):
    good = solution(tmp_path, PASSING)
    server = ["--server", platform.url]
    with platform.ctx.sessions() as session:
        user = users.find_user(session, "eve")
        revoked, row = create_token(session, user.id, "lost phone")
        revoke_token(session, CurrentUser(user.id, "eve", "eve", "learner"), row.id)
        session.commit()
    cases = [
        (["check", "double", good, *server], "No token"),
        (["submit", "double", good, *server, "--token", "dlc_" + "x" * 43], "not accepted"),
        (["submit", "double", good, *server, "--token", revoked], "revoked"),
        (["login", *server, "--token", revoked], "My progress"),
        (["submit", "no-such-exercise", good, *server, "--token", platform.tokens["ada"]], "no exercise"),
        (["check", "double", str(tmp_path / "missing.py"), *server, "--token", platform.tokens["ada"]],
         "no file"),
        (["submit", "double", good, "--server", "http://127.0.0.1:9", "--token", platform.tokens["ada"]],
         "Cannot reach"),
        (["submit", "double", good, "--server", "ftp://example", "--token", platform.tokens["ada"]],
         "not a server address"),
        (["submit", "double"], "usage"),
    ]
    for args, message in cases:
        done = cli(home, *args)
        assert done.returncode == 2 and message in done.stderr, (args, done.stdout, done.stderr)
    assert not (home / ".config").exists()  # a refused login stores nothing


def test_the_client_needs_nothing_beyond_the_standard_library_to_talk_to_the_server():
    code = ("import sys, learner_cli.__main__\n"
            "print(sorted(m for m in ('sqlalchemy', 'streamlit', 'torch', 'yaml', 'numpy', 'pytest') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
