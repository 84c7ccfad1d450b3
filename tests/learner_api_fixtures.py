"""A running learner API for tests: a tiny content tree, a real platform (database, sandboxed
grading) and a real HTTP server on a free port, with learners ada, bob and eve holding a token each.

Import what a test module uses (``from learner_api_fixtures import platform, call``); pytest finds
fixtures in a test module's namespace.
"""
from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass

import pytest

from db import users
from portal.api import start_api
from portal.context import AppContext, build_context
from portal.tokens import create_token

from conftest import make_settings, write_content

PASSING = "def double(x):\n    return x * 2\n"
FAILING = "def double(x):\n    return x * 3\n"
HIDDEN_MARKER = "hidden_only_marker_7f3a"
SOLUTION_MARKER = "solution_only_marker_91c2"


@dataclass
class Platform:
    ctx: AppContext
    url: str
    port: int
    tokens: dict[str, str]
    ids: dict[str, int]


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    """One platform and API server for the module; learners ada and bob with a token each."""
    root = tmp_path_factory.mktemp("api")
    content = write_content(root / "content")
    folder = content / "exercises" / "double"
    (folder / "tests" / "test_hidden.py").write_text(
        (folder / "tests" / "test_hidden.py").read_text() + f"\n# {HIDDEN_MARKER}\n")
    (folder / "solution.py").write_text(PASSING + f"# {SOLUTION_MARKER}\n")
    (folder / "tests" / "shapes.py").write_text("SIZES = (1, 4)\n")  # a support module both tests may import
    ctx = build_context(make_settings(root / "data", content))
    api = start_api(ctx, "127.0.0.1", 0)
    tokens, ids = {}, {}
    with ctx.sessions() as session:
        for name, role in (("ada", "learner"), ("bob", "learner"), ("eve", "learner")):
            user = users.create_user(session, name, "password-123", role=role)
            session.flush()
            tokens[name], _ = create_token(session, user.id, "laptop")
            ids[name] = user.id
        session.commit()
    yield Platform(ctx, api.url, api.port, tokens, ids)
    api.close()
    ctx.close()


def call(platform: Platform, method: str, path: str, token: str | None = None, body: object = None,
         raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """One request; the status and the JSON object answered."""
    connection = http.client.HTTPConnection("127.0.0.1", platform.port, timeout=30)
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None:
        sent.setdefault("Content-Type", "application/json")
    connection.request(method, path, body=data, headers=sent)
    response = connection.getresponse()
    payload = json.loads(response.read().decode("utf-8"))
    connection.close()
    assert response.getheader("Content-Type").startswith("application/json")
    return response.status, payload


def wait_final(platform: Platform, token: str, submission_id: int, timeout_s: float = 90) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status, view = call(platform, "GET", f"/api/v1/submissions/{submission_id}", token)
        assert status == 200, view
        if view["final"]:
            return view
        time.sleep(0.1)
    raise AssertionError(f"submission {submission_id} not final after {timeout_s} s")


