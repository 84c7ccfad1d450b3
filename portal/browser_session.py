"""A browser's log-in as the app and its web routes see it: signed cookies over ``db.login_sessions``.

How a log-in reaches the cookie (``portal.web_routes`` serves the two routes, ``serve.py`` mounts them):

1. The log-in form (a Streamlit page) checks the password as before (throttled), opens a session
   and asks for a one-time ticket bound to this browser's ``course_browser`` cookie.
2. The page sends the browser to ``/auth/session?ticket=…&next=/cohorts``. That route swaps the
   ticket for a fresh token, sets it as the HttpOnly, SameSite=Lax (Secure behind HTTPS) cookie
   ``course_session`` and redirects to ``next``, the page the browser asked for.
3. Every page load and rerun reads the cookie (``st.context.cookies``) and looks the session up:
   reloads and new tabs stay logged in; log-out, "log out everywhere", deactivation and a password
   reset delete the rows, and the next rerun anywhere finds no session.

    store = BrowserSessions(ctx.sessions, ctx.settings)
    token = store.log_in(user.id)                  # the tab keeps it in its session state
    value = store.claim_cookie(ticket, browser)    # what the route puts in the cookie
    user = store.user_for_cookie(value)            # CurrentUser or None

The cookie is ``<token>.<HMAC-SHA256 of the token>``, signed with a key every app process reads
from the database: a forged or truncated cookie is refused before any lookup. Only the token's
SHA-256 is stored, so a copy of the database opens no session.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import contextlib
import threading
from datetime import timedelta
from typing import Iterator
from urllib.parse import urlsplit

from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from db import login_sessions
from db.engine import SQLITE_BEGIN_OPTION
from portal.auth import CurrentUser, current_user_of

COOKIE_NAME = "course_session"
"""The log-in cookie: HttpOnly, SameSite=Lax, Secure with SESSION_COOKIE_SECURE=yes."""
BROWSER_COOKIE = "course_browser"
"""A random per-browser cookie (HttpOnly) that a log-in ticket is bound to: a ticket link sent
to someone else logs nobody in (no log-in CSRF)."""
SESSION_ROUTE = "auth/session"
LOGOUT_ROUTE = "auth/logout"

_keys: dict[str, bytes] = {}
_keys_lock = threading.Lock()
_routes_installed = False


def mark_routes_installed() -> None:
    """Called when ``serve.py`` mounts the cookie routes (``portal.web_routes``) in this process."""
    global _routes_installed
    _routes_installed = True


def routes_installed() -> bool:
    """True when this process serves the cookie routes, so a log-in can become a cookie. Not under
    ``streamlit run app.py`` or AppTest: a log-in then lasts as long as the tab's session state."""
    return _routes_installed


def new_browser_id() -> str:
    """A value for the ``course_browser`` cookie."""
    return login_sessions.new_secret()


def sign(key: bytes, token: str) -> str:
    """The cookie value for ``token``: the token, a dot, its HMAC (URL-safe base64, no padding)."""
    mac = hmac.new(key, f"course-session:{token}".encode(), hashlib.sha256).digest()
    return f"{token}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def unsign(key: bytes, value: str | None) -> str | None:
    """The token inside a cookie value whose signature holds, else None."""
    if not value or value.count(".") != 1 or len(value) > 200:
        return None
    token = value.split(".", 1)[0]
    return token if token and hmac.compare_digest(sign(key, token), value) else None


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site ("/cohorts?x=1"), else "/": a log-in link cannot
    send the browser to another site (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\\"):
        return "/"
    return target


class BrowserSessions:
    """Log-in sessions of one database, with the settings that shape their cookies."""

    def __init__(self, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self.lifetime = timedelta(days=settings.session_days)
        self.secure = settings.session_cookie_secure

    @property
    def max_age_s(self) -> int:
        """The cookie's Max-Age: the session's lifetime (refreshed on each page load)."""
        return int(self.lifetime.total_seconds())

    def key(self) -> bytes:
        """The signing key (read once per process and database)."""
        bind = self.sessions.kw.get("bind")
        name = str(bind.url) if bind is not None else ""
        with _keys_lock:
            if name not in _keys:
                with self.sessions() as session:
                    _keys[name] = login_sessions.signing_key(session)
            return _keys[name]

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Session]:
        """A transaction that reads then writes, holding SQLite's write lock from its BEGIN.

        A plain (deferred) transaction that read first cannot take the lock once another
        connection has committed since its read: SQLite then fails at once with "database is
        locked", busy timeout or not, and with many learners logging in while verdicts are
        stored it did (bench/sessions.py). Other databases ignore the option."""
        with self.sessions() as session, session.begin():
            session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            yield session

    def log_in(self, user_id: int) -> str:
        """Open a session; returns its token."""
        with self._writing() as session:
            return login_sessions.start(session, user_id, self.lifetime)

    def ticket(self, token: str, browser: str) -> str | None:
        """A one-time ticket handing this session to the browser with cookie ``browser``."""
        with self._writing() as session:
            return login_sessions.hand_over(session, token, browser)

    def claim_cookie(self, ticket: str, browser: str) -> str | None:
        """The signed cookie value for a ticket (None: unknown, used, expired or another browser's)."""
        with self._writing() as session:
            token = login_sessions.claim(session, ticket, browser, self.lifetime)
        return sign(self.key(), token) if token else None

    def user_for(self, token: str | None) -> CurrentUser | None:
        """The logged-in user of a session token, or None when it ended, expired or is deactivated."""
        if not token:
            return None
        with self.sessions() as session, session.begin():
            user = login_sessions.resolve(session, token, self.lifetime)
            return current_user_of(user) if user is not None else None

    def token_of_cookie(self, value: str | None) -> str | None:
        """The token in a cookie value whose signature holds."""
        return unsign(self.key(), value) if value else None

    def user_for_cookie(self, value: str | None) -> CurrentUser | None:
        """``user_for`` the token in a signed cookie value."""
        return self.user_for(self.token_of_cookie(value))

    def cookie_is_live(self, value: str | None) -> bool:
        """True while the cookie's session exists and has not expired."""
        token = self.token_of_cookie(value)
        if token is None:
            return False
        with self.sessions() as session:
            return login_sessions.is_live(session, token)

    def log_out(self, token: str | None) -> None:
        """End the session with this token."""
        if token:
            with self.sessions() as session, session.begin():
                login_sessions.end(session, token)

    def log_out_everywhere(self, user_id: int) -> int:
        """End every session of the user; returns how many there were."""
        with self.sessions() as session, session.begin():
            return login_sessions.end_all(session, user_id)

    def count_live(self, user_id: int) -> int:
        """Browsers where the user is logged in now."""
        with self.sessions() as session:
            return login_sessions.count_live(session, user_id)
