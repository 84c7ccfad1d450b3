"""The admin page (and other single pages) under AppTest, run on its own with a user already in the
session: the ``tiny_app_env`` fixture (the app on a temp data folder and the tiny content tree,
cold grading) and helpers to add accounts, open a page and read its tables.
"""
from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import config as settings_module
from config import PROJECT_ROOT, Settings
from db import users
from db.engine import make_engine, session_factory
from db.migrate import upgrade
from portal.auth import CurrentUser
from postgres_server import database_url_for

PAGE = str(PROJECT_ROOT / "app_pages" / "admin.py")


@pytest.fixture
def tiny_app_env(tmp_path, content_tree, monkeypatch):
    """The app on a temp data folder and the tiny content tree (track 'tiny'), so that content
    being edited elsewhere cannot break these tests; stops its worker pool afterwards."""
    # Cold mode: these tests grade nothing, so skip starting the warm sandbox zygotes.
    env = {"COURSE_DATA_DIR": str(tmp_path / "data"), "COURSE_CONTENT_DIR": str(content_tree),
           "CHECKER_MODE": "cold", "CHECKER_WORKERS": "1"}
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if url := database_url_for(tmp_path / "data"):  # --database=postgresql
        env["DATABASE_URL"] = url
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(env)
    settings_module.get_settings.cache_clear()
    st.cache_resource.clear()
    yield settings
    from ui.session import get_context

    get_context().close()
    st.cache_resource.clear()
    settings_module.get_settings.cache_clear()


def page_sessions(settings):
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    return session_factory(engine)


def add_account(settings, username: str, role: str) -> CurrentUser:
    """Create an account directly in the database; return it as the session would hold it."""
    sessions = page_sessions(settings)
    with sessions() as session:
        user = users.create_user(session, username, "correct horse", role=role)
        session.commit()
        current = CurrentUser(user.id, user.username, user.username, user.role)
    sessions.kw["bind"].dispose()
    return current


def open_page(viewer: CurrentUser) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user"] = viewer
    at.run()
    assert not at.exception, at.exception
    return at


def page_table(at: AppTest, index: int):
    return at.dataframe[index].value


def authenticate(settings, username: str, password: str):
    sessions = page_sessions(settings)
    try:
        with sessions() as session:
            return users.authenticate(session, username, password)
    finally:
        sessions.kw["bind"].dispose()
