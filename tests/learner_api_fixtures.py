"""A running learner API for tests: a tiny content tree, a real platform (database, sandboxed
grading) and the API's routes (``portal.api.api_routes``, as ``serve.py`` mounts them) on a real
HTTP server (uvicorn, as Streamlit's own) on a free port, with learners ada, bob and eve holding a
token each. ``tests/test_session_browser.py`` reaches the same routes through ``serve.py`` itself.

Import what a test module uses (``from learner_api_fixtures import platform, call``); pytest finds
fixtures in a test module's namespace.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest
import uvicorn
from starlette.applications import Starlette

from db import users
from portal.api import api_routes
from portal.context import AppContext, build_context
from portal.tokens import create_token

from conftest import make_settings, write_content
from ports import free_port

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


@contextmanager
def serving_api(context: Callable[[], AppContext]) -> Iterator[int]:
    """The API's routes for ``context`` on a real server in a thread; yields its port."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=api_routes(context)), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"api-test:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the API server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


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
    tokens, ids = {}, {}
    with ctx.sessions() as session:
        for name, role in (("ada", "learner"), ("bob", "learner"), ("eve", "learner")):
            user = users.create_user(session, name, "password-123", role=role)
            session.flush()
            tokens[name], _ = create_token(session, user.id, "laptop")
            ids[name] = user.id
        session.commit()
    with serving_api(lambda: ctx) as port:
        yield Platform(ctx, f"http://127.0.0.1:{port}", port, tokens, ids)
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


