"""The learner API as deployed: routes of the app's own server (``streamlit run serve.py``), on the
app's port, beside the pages; the command-line client talks to that address."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from app_server import running_app
from config import PROJECT_ROOT
from conftest import make_settings, write_content
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal.tokens import create_token

pytestmark = [pytest.mark.slow, pytest.mark.database]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """(app URL, ada's token) of the app started as `make run` starts it."""
    root = tmp_path_factory.mktemp("served")
    settings = make_settings(root / "data", write_content(root / "content"))
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        user = users.create_user(session, "ada", "password-123", role="learner")
        session.flush()
        token, _ = create_token(session, user.id, "laptop")
        session.commit()
    engine.dispose()
    env = {"DATABASE_URL": settings.database_url} if settings.database_url else {}
    with running_app(settings.data_dir, settings.content_dir, **env) as url:
        yield url, token


def request(url: str, token: str | None = None, body: dict | None = None) -> tuple[int, str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = json.dumps(body).encode() if body is not None else None
    if data is not None:
        headers["Content-Type"] = "application/json"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, headers=headers), timeout=60) as answer:
            return answer.status, answer.headers.get("Content-Type", ""), answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


def test_the_api_and_the_pages_share_one_port(served):
    url, token = served
    status, kind, text = request(f"{url}/api/v1/me", token)
    assert (status, json.loads(text)["username"]) == (200, "ada") and kind.startswith("application/json")
    status, kind, _ = request(f"{url}/")
    assert status == 200 and kind.startswith("text/html")
    status, kind, text = request(f"{url}/api/v1/me")
    assert status == 401 and "My progress" in json.loads(text)["error"]
    status, kind, text = request(f"{url}/api/nothing", token)
    assert status == 404 and kind.startswith("application/json") and "/api/v1/me" in json.loads(text)["error"]


def test_a_submission_through_the_served_api_is_graded_by_the_app(served):
    url, token = served
    status, _, text = request(f"{url}/api/v1/submissions", token,
                              {"exercise_id": "double", "code": "def double(x):\n    return x * 2\n", "mode": "run"})
    assert status == 201, text
    submission = json.loads(text)["submission_id"]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        view = json.loads(request(f"{url}/api/v1/submissions/{submission}", token)[2])
        if view["final"]:
            break
        time.sleep(0.2)
    assert view["status"] == "passed", view


def test_the_command_line_client_uses_the_apps_address(served, tmp_path):
    url, token = served
    code = tmp_path / "mine.py"
    code.write_text("def double(x):\n    return x * 3\n")
    env = {**os.environ, "HOME": str(tmp_path), "COURSE_SERVER": url, "COURSE_TOKEN": token}
    done = subprocess.run([sys.executable, "-m", "learner_cli", "submit", "double", str(code), "--mode", "run"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "failed" in done.stdout, (done.stdout, done.stderr)
