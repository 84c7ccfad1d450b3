"""Log-in sessions kept in the database (db/login_sessions.py), their signed cookies
(portal/browser_session.py) and the cookie routes and middleware (portal/web_routes.py).

The browser journeys (reload, new tab, log-out, deactivation) are in test_session_browser.py.
"""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from config import Settings
from db import login_sessions
from db.models import LoginSession, utcnow
from db.users import create_user
from portal import admin
from portal.auth import CurrentUser
from portal.browser_session import BrowserSessions, safe_next, sign, unsign

pytestmark = pytest.mark.database  # stores data: runs again on PostgreSQL

LIFETIME = timedelta(days=14)
ROOT = CurrentUser(0, "root", "root", "admin")


def test_only_the_tokens_hash_is_stored_and_the_token_finds_the_user(db_session, learner_id):
    token = login_sessions.start(db_session, learner_id, LIFETIME)
    db_session.commit()
    [row] = db_session.scalars(select(LoginSession)).all()
    assert row.token_hash == login_sessions.digest(token) and token not in row.token_hash
    assert len(token) >= 43  # 256 random bits
    assert login_sessions.resolve(db_session, token, LIFETIME).username == "ada"
    assert login_sessions.resolve(db_session, token + "x", LIFETIME) is None


def test_a_session_expires_unless_used_and_use_moves_the_expiry(db_session, learner_id):
    now = utcnow()
    token = login_sessions.start(db_session, learner_id, LIFETIME, now=now)
    later = now + timedelta(days=10)
    assert login_sessions.resolve(db_session, token, LIFETIME, now=later) is not None  # used on day 10
    [row] = db_session.scalars(select(LoginSession)).all()
    assert row.expires_at == later + LIFETIME and row.last_seen_at == later
    assert login_sessions.resolve(db_session, token, LIFETIME, now=later + timedelta(days=13)) is not None
    assert login_sessions.resolve(db_session, token, LIFETIME, now=later + timedelta(days=13 + 15)) is None


def test_a_refresh_is_written_at_most_every_few_minutes(db_session, learner_id):
    now = utcnow()
    token = login_sessions.start(db_session, learner_id, LIFETIME, now=now)
    login_sessions.resolve(db_session, token, LIFETIME, now=now + timedelta(minutes=1))
    [row] = db_session.scalars(select(LoginSession)).all()
    assert row.last_seen_at == now  # not worth a write yet
    login_sessions.resolve(db_session, token, LIFETIME, now=now + login_sessions.REFRESH_EVERY)
    assert row.last_seen_at == now + login_sessions.REFRESH_EVERY


def test_a_ticket_works_once_only_in_its_browser_and_only_for_a_minute(db_session, learner_id):
    token = login_sessions.start(db_session, learner_id, LIFETIME)
    ticket = login_sessions.hand_over(db_session, token, "browser-a")
    assert login_sessions.claim(db_session, ticket, "browser-b", LIFETIME) is None  # another browser
    assert login_sessions.claim(db_session, ticket, "browser-a", LIFETIME) is None  # and it is spent now

    ticket = login_sessions.hand_over(db_session, token, "browser-a")
    cookie_token = login_sessions.claim(db_session, ticket, "browser-a", LIFETIME)
    assert cookie_token and cookie_token != token
    assert login_sessions.claim(db_session, ticket, "browser-a", LIFETIME) is None  # once
    assert login_sessions.resolve(db_session, cookie_token, LIFETIME).username == "ada"
    assert login_sessions.resolve(db_session, token, LIFETIME) is None  # the swapped-out token is dead

    ticket = login_sessions.hand_over(db_session, cookie_token, "browser-a")
    late = utcnow() + login_sessions.TICKET_LIFETIME + timedelta(seconds=1)
    assert login_sessions.claim(db_session, ticket, "browser-a", LIFETIME, now=late) is None


def test_deactivation_a_password_reset_and_log_out_everywhere_end_sessions(db_sessions, db_session, learner_id):
    def live() -> int:
        with db_sessions() as s:
            return login_sessions.count_live(s, learner_id)

    def two() -> list[str]:
        with db_sessions() as s, s.begin():
            return [login_sessions.start(s, learner_id, LIFETIME) for _ in range(2)]

    tokens = two()
    admin.set_active(db_sessions, ROOT, "ada", False)
    assert live() == 0
    admin.set_active(db_sessions, ROOT, "ada", True)
    with db_sessions() as s:
        assert all(login_sessions.resolve(s, t, LIFETIME) is None for t in tokens)  # no revival

    two()
    admin.reset_password(db_sessions, ROOT, "ada", "a-new-password")
    assert live() == 0

    two()
    with db_sessions() as s, s.begin():
        other = create_user(s, "bob", "correct horse")
        bobs = login_sessions.start(s, other.id, LIFETIME)
    store = BrowserSessions(db_sessions, Settings())
    assert store.log_out_everywhere(learner_id) == 2 and live() == 0
    assert store.user_for(bobs).username == "bob"  # someone else's stay


def test_a_deactivated_users_session_is_refused_even_before_it_is_deleted(db_session, learner_id):
    token = login_sessions.start(db_session, learner_id, LIFETIME)
    user = db_session.get(login_sessions.User, learner_id)
    user.is_active = False  # as an older code path would
    db_session.flush()
    assert login_sessions.resolve(db_session, token, LIFETIME) is None


def test_deleting_the_account_deletes_its_sessions(db_sessions, learner_id):
    from portal.user_data import delete_user

    store = BrowserSessions(db_sessions, Settings())
    token = store.log_in(learner_id)
    removed = delete_user(db_sessions, ROOT, "ada")
    assert removed.get("login_sessions") == 1
    assert store.user_for(token) is None


def test_the_export_leaves_the_session_secrets_out(db_sessions, learner_id):
    import io
    import zipfile

    from portal.user_data import export_user

    store = BrowserSessions(db_sessions, Settings())
    token = store.log_in(learner_id)
    store.ticket(token, "browser")
    _, data = export_user(db_sessions, ROOT, learner_id)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        everything = b"".join(zf.read(n) for n in names)
    assert "data/login_sessions.json" in names  # when and until when: yes; the secrets: no
    assert b"expires_at" in everything
    assert b"_hash" not in everything and b"ticket_browser" not in everything


def test_cookies_are_signed_and_a_forged_one_is_refused():
    key, other = b"k" * 32, b"o" * 32
    value = sign(key, "tok")
    assert unsign(key, value) == "tok"
    assert unsign(other, value) is None
    assert unsign(key, "tok.") is None and unsign(key, "tok") is None and unsign(key, value + "x") is None
    assert unsign(key, None) is None and unsign(key, "a.b.c") is None


def test_the_signing_key_is_made_once_and_shared(db_sessions):
    with db_sessions() as s:
        first = login_sessions.signing_key(s)
    with db_sessions() as s:
        assert login_sessions.signing_key(s) == first and len(first) == 32


@pytest.mark.parametrize("target, expected", [
    ("/cohorts", "/cohorts"), ("/exercise?id=stable-softmax", "/exercise?id=stable-softmax"),
    (None, "/"), ("", "/"), ("https://evil.example/", "/"), ("//evil.example/x", "/"), ("/\\evil.example", "/"),
    ("cohorts", "/"), ("/x\r\nSet-Cookie: a=b", "/"),
])
def test_the_page_after_log_in_is_always_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_session_settings_are_checked():
    from config import SettingsError

    assert Settings.from_env({"SESSION_DAYS": "30", "SESSION_COOKIE_SECURE": "yes"}).session_cookie_secure is True
    assert Settings.from_env({}).session_days == 14 and Settings.from_env({}).session_cookie_secure is False
    with pytest.raises(SettingsError, match="SESSION_DAYS=0"):
        Settings.from_env({"SESSION_DAYS": "0"})
    with pytest.raises(SettingsError, match="SESSION_COOKIE_SECURE='maybe'"):
        Settings.from_env({"SESSION_COOKIE_SECURE": "maybe"})


# --- the routes and the middleware, driven as ASGI apps ---------------------------------------

def call(app, path: str, cookies: dict[str, str] | None = None, html: bool = True):
    """One GET through an ASGI app; returns (status, headers as (name, value) str pairs)."""
    query = path.split("?", 1)[1] if "?" in path else ""
    headers = [(b"cookie", "; ".join(f"{k}={v}" for k, v in (cookies or {}).items()).encode())] if cookies else []
    scope = {"type": "http", "method": "GET", "path": path.split("?", 1)[0], "query_string": query.encode(),
             "headers": headers, "scheme": "http", "server": ("127.0.0.1", 80), "root_path": "",
             "http_version": "1.1", "client": ("127.0.0.1", 1)}
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]]


def set_cookies(headers) -> dict[str, str]:
    """Set-Cookie headers by cookie name (the whole header line)."""
    return {v.split("=", 1)[0]: v for k, v in headers if k == "set-cookie"}


@pytest.fixture
def routes(db_sessions, monkeypatch):
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse, JSONResponse
    from starlette.routing import Route

    from portal import web_routes

    store = BrowserSessions(db_sessions, Settings.from_env({"SESSION_DAYS": "3", "SESSION_COOKIE_SECURE": "yes"}))
    monkeypatch.setattr(web_routes, "_store", lambda: store)

    async def page(request):
        return HTMLResponse("<html>the app</html>")

    async def health(request):
        return JSONResponse({"ok": True})

    app = Starlette(routes=[*web_routes.session_routes(), Route("/_stcore/health", health), Route("/{p:path}", page)],
                    middleware=web_routes.session_middleware())
    return app, store


def test_the_session_route_swaps_a_ticket_for_an_httponly_lax_secure_cookie(routes, learner_id):
    app, store = routes
    token = store.log_in(learner_id)
    ticket = store.ticket(token, "my-browser")
    status, headers = call(app, f"/auth/session?ticket={ticket}&next=/cohorts", {"course_browser": "my-browser"})
    assert status == 303 and ("location", "/cohorts") in headers
    cookie = set_cookies(headers)["course_session"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie and "Max-Age=259200" in cookie
    value = cookie.split("=", 1)[1].split(";")[0]
    assert store.user_for_cookie(value).username == "ada"
    # once only, and never from another browser
    status, headers = call(app, f"/auth/session?ticket={ticket}&next=/cohorts", {"course_browser": "my-browser"})
    assert status == 303 and "course_session" not in set_cookies(headers)
    ticket = store.ticket(store.token_of_cookie(value), "my-browser")
    status, headers = call(app, f"/auth/session?ticket={ticket}&next=https://evil.example/",
                           {"course_browser": "someone-else"})
    assert ("location", "/") in headers and "course_session" not in set_cookies(headers)


def test_page_loads_get_a_browser_cookie_and_renew_the_session_cookie(routes, learner_id):
    from portal.browser_session import sign

    app, store = routes
    status, headers = call(app, "/cohorts")
    assert status == 200
    browser = set_cookies(headers)["course_browser"]
    assert "HttpOnly" in browser and "SameSite=lax" in browser
    value = sign(store.key(), store.log_in(learner_id))
    _, headers = call(app, "/exercise", {"course_browser": "b", "course_session": value})
    cookies = set_cookies(headers)
    assert "course_browser" not in cookies and "Max-Age=259200" in cookies["course_session"]
    _, headers = call(app, "/exercise", {"course_browser": "b", "course_session": "forged.value"})
    assert "course_session" not in set_cookies(headers)
    _, headers = call(app, "/_stcore/health")
    assert set_cookies(headers) == {}


def test_the_logout_route_drops_the_cookie_only_once_the_session_ended(routes, learner_id):
    app, store = routes
    token = store.log_in(learner_id)
    value = sign(store.key(), token)
    _, headers = call(app, "/auth/logout", {"course_session": value})
    assert "course_session" not in set_cookies(headers)  # a link from elsewhere cannot log anyone out
    store.log_out(token)
    status, headers = call(app, "/auth/logout", {"course_session": value})
    assert status == 303 and "Max-Age=0" in set_cookies(headers)["course_session"]


def test_a_ticket_is_claimed_while_another_connection_writes(db_sessions, learner_id):
    """Log-ins read then write: on SQLite such a transaction that read before another connection's
    commit failed at once with "database is locked" (many learners logging in while verdicts were
    stored, bench/sessions.py); it now holds the write lock from its start and waits its turn."""
    import threading

    store = BrowserSessions(db_sessions, Settings())
    ticket = store.ticket(store.log_in(learner_id), "browser-1")
    writer = db_sessions()  # a worker storing a verdict, say: it holds the write lock for a moment
    writer.begin()
    login_sessions.start(writer, learner_id, LIFETIME)
    commit = threading.Timer(0.3, writer.commit)
    commit.start()
    try:
        assert store.claim_cookie(ticket, "browser-1") is not None
    finally:
        commit.join()
        writer.close()
