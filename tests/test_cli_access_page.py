"""My progress → Command-line access through AppTest: make a token, use it on the API the app
serves beside itself, revoke it; and what the page says when the API cannot be served."""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from app_fixtures import add_user, app_env, logged_in  # noqa: F401 (app_env is a fixture)
from ports import free_port

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL


@pytest.fixture
def api_port(monkeypatch) -> int:
    """The port the app's API is told to use (set before ``app_env`` reads the settings)."""
    port = free_port()
    monkeypatch.setenv("API_HOST", "127.0.0.1")
    monkeypatch.setenv("API_PORT", str(port))
    return port


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
    assert not at.warning  # the API is up

    create(at, "   ")
    assert any("name of 1 to 64" in e.value for e in at.error)

    create(at, "laptop")
    assert any("shown only this once" in s.value for s in at.success)
    token = next(c.value for c in at.code if c.value.startswith("dlc_"))
    assert any(f"python -m learner_cli login --server http://127.0.0.1:{api_port}" in c.value for c in at.code)
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


def test_the_page_says_when_the_api_is_unavailable(api_port, app_env):
    with socket.create_server(("127.0.0.1", api_port)):  # someone else holds the port
        at = progress_page(app_env)
    assert any("unavailable" in w.value and str(api_port) in w.value for w in at.warning)
    create(at, "laptop")  # tokens can still be made for later
    assert any(c.value.startswith("dlc_") for c in at.code)


def test_the_page_says_when_the_api_is_turned_off(monkeypatch, app_env):
    monkeypatch.setenv("API_PORT", "0")
    import config as settings_module

    settings_module.get_settings.cache_clear()
    at = progress_page(app_env)
    assert any("turned off" in i.value for i in at.info)
