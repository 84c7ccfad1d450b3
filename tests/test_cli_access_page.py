"""My progress → Command-line access through AppTest: make a token, use it on the API routes the
app serves (bound to the app's own context, as ``serve.py`` binds them), revoke it."""
from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from app_fixtures import add_user, app_env, logged_in  # noqa: F401 (app_env is a fixture)
from learner_api_fixtures import serving_api
from ui.cli_access import UNKNOWN_ADDRESS, server_address

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


@pytest.fixture
def api_port(app_env):
    """The API's routes on a real port, on the same platform context the pages under AppTest use."""
    from ui.session import get_context

    with serving_api(get_context) as port:
        yield port


def me(port: int, token: str) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/me",
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["username"] == "ada"
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def progress_page(settings):
    add_user(settings)
    at = logged_in(settings)
    at.switch_page("app_pages/progress.py").run()
    assert not at.exception, at.exception
    return at


def create(at, name: str):
    at.text_input(key="token_name").input(name)
    next(b for b in at.button if b.label == "Create token").click().run()
    assert not at.exception, at.exception
    return at


def test_a_learner_makes_uses_and_revokes_a_token(api_port, app_env):
    at = progress_page(app_env)
    assert any(s.value == "Command-line access" for s in at.subheader)
    assert any("no active tokens" in c.value for c in at.caption)

    create(at, "   ")
    assert any("name of 1 to 64" in e.value for e in at.error)

    create(at, "laptop")
    assert any("shown only this once" in s.value for s in at.success)
    token = next(c.value for c in at.code if c.value.startswith("dlc_"))
    # AppTest has no browser address; a browser's page shows its own (see the test below).
    assert any(f"python -m learner_cli login --server {UNKNOWN_ADDRESS}" in c.value for c in at.code)
    assert any(m.value == "**laptop**" for m in at.markdown)
    assert any(c.value == f"{token[:10]}…" for c in at.code)  # the prefix, to tell tokens apart
    assert any(c.value == "never used" for c in at.caption)

    assert me(api_port, token) == 200
    at.run()
    assert not any(c.value == token for c in at.code), "the token is shown only once"
    assert any(c.value.startswith("last used ") for c in at.caption)

    revoke = next(b for b in at.button if b.key and b.key.startswith("revoke_token:"))
    revoke.click().run()
    assert not at.exception, at.exception
    assert any("no active tokens" in c.value for c in at.caption)
    assert me(api_port, token) == 401


def test_the_server_address_is_the_one_the_page_was_opened_at():
    assert server_address("http://course.example.org:8501/my_progress") == "http://course.example.org:8501"
    assert server_address("https://[::1]/progress") == "https://[::1]"
    assert server_address(None) == UNKNOWN_ADDRESS
