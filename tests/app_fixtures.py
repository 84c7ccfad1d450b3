"""The app under AppTest: the ``app_env`` fixture (a temp data folder, the real content) and the
helpers that log in, click Run / Submit in the exercise editor and wait for a verdict.

A fixture module, not a test module: test modules import from here (``tests/test_app.py`` re-exports
the same names for the modules that import them from there).
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import config as settings_module
from config import PROJECT_ROOT, Settings, declarations
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade

APP = str(PROJECT_ROOT / "app.py")


@contextmanager
def app_pointed_at(settings, monkeypatch):
    """The app (under AppTest, in this process) reads ``settings`` from the environment, and its
    cached context is closed afterwards."""
    for name, declared in declarations().items():
        value = getattr(settings, name)
        if value != getattr(Settings, name):
            monkeypatch.setenv(declared.env, ("yes" if value else "no") if isinstance(value, bool) else str(value))
    if not settings.database_url:  # SQLite in the data folder, whatever the shell says
        monkeypatch.delenv("DATABASE_URL", raising=False)
    settings_module.get_settings.cache_clear()
    st.cache_resource.clear()
    try:
        yield settings
    finally:
        from ui.session import get_context

        get_context().close()
        st.cache_resource.clear()
        settings_module.get_settings.cache_clear()


@pytest.fixture
def app_env(settings, monkeypatch):
    """Point the app at a temp data folder and the real content; stop its worker pool afterwards."""
    with app_pointed_at(settings, monkeypatch):
        yield settings


def add_user(settings, username="ada", password="correct horse", role="learner") -> None:
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with session_factory(engine)() as session:
        users.create_user(session, username, password, role=role)
        if role != "admin":  # past the first-run screen, as on a real installation
            users.create_user(session, "the-admin", "admin-password", role="admin")
        session.commit()
    engine.dispose()


def logged_in(settings, username="ada", password="correct horse") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def wait_for_verdict(at: AppTest, timeout_s: float = 60) -> None:
    """Rerun the page (as the polling fragment would) until a final verdict is drawn."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        at.run()
        assert not at.exception, at.exception
        if any("tests passed" in m.value for m in (*at.success, *at.warning, *at.error)):
            return
        time.sleep(0.3)
    raise AssertionError("no verdict within the time limit")


def click(at: AppTest, exercise_id: str, kind: str, code: str, click_id: str = "click-1") -> AppTest:
    """What the editor sends when Run or Submit is clicked: the text, and the click with the text it grades."""
    at.session_state[f"editor:{exercise_id}"] = {"code": code, "action": {"kind": kind, "id": click_id, "code": code}}
    return at.run()


def table(at: AppTest, column: str):
    """The dataframe that has ``column`` (AppTest does not expose dataframe keys)."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def log_in(username: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input("password-123")
    at.button[0].click().run()
    assert at.session_state["user"].username == username
    return at
