"""The cached platform context and the logged-in user, as the pages reach them.

The log-in lives in the database (``portal.browser_session``): the browser holds it as the
HttpOnly cookie ``course_session`` (reloads and new tabs stay logged in), the tab that logged in
holds its token in the session state until the cookie takes over. ``current_user`` (run by
``app.py`` on every rerun) looks the session up, so log-out, "log out everywhere", deactivation
and a password reset take effect on the next rerun in every tab.
"""
from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

from config import get_settings
from portal.auth import CurrentUser
from portal.browser_session import (
    BROWSER_COOKIE, COOKIE_NAME, LOGOUT_ROUTE, SESSION_ROUTE, BrowserSessions, routes_installed,
)
from portal.context import AppContext, build_context

USER_KEY = "user"
TOKEN_KEY = "session_token"
"""The tab's own session token, from its log-in form until the cookie takes over."""


@st.cache_resource(show_spinner="Starting the platform…")
def get_context() -> AppContext:
    """One context per server process: engine, content, worker pool (never per rerun); the learner
    API's routes (``serve.py``) use the same one."""
    return build_context(get_settings())


def browser_sessions(ctx: AppContext) -> BrowserSessions:
    """The log-in sessions of this platform's database."""
    return BrowserSessions(ctx.sessions, ctx.settings)


def _cookie(name: str = COOKIE_NAME) -> str | None:
    """A cookie the browser sent with this session's connection (None without a browser: under AppTest
    ``st.context.cookies`` holds stand-ins, not strings)."""
    try:
        value = st.context.cookies.get(name)
    except Exception:  # no browser behind this run (a bare script run)
        return None
    return value if isinstance(value, str) and value else None


def current_user() -> CurrentUser | None:
    """The logged-in user of this browser, looked up in the database (the tab's token, else the
    cookie); None when logged out. Without either (pages run on their own in tests) the user a
    caller put in the session state."""
    ctx = get_context()
    store = browser_sessions(ctx)
    token, cookie = st.session_state.get(TOKEN_KEY), _cookie()
    user = store.user_for(token) if token else None
    if user is None and token:
        del st.session_state[TOKEN_KEY]
    if user is None and cookie:
        user = store.user_for_cookie(cookie)
    if user is not None:
        st.session_state[USER_KEY] = user
        return user
    if token or cookie:  # a session that ended, expired or was never valid
        st.session_state.pop(USER_KEY, None)
        return None
    return st.session_state.get(USER_KEY)


def _browser_to(path: str) -> None:
    """Send the browser to a path of this site (a full page load), the way ``st.login`` does."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    run = get_script_run_ctx()
    if run is not None:
        msg = ForwardMsg()
        msg.auth_redirect.url = path
        run.enqueue(msg)


def _base() -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def begin_session(ctx: AppContext, user: CurrentUser, next_path: str = "/") -> None:
    """After a good password: open the session and, where the cookie routes are served, send the
    browser for its cookie and on to ``next_path``; else rerun, logged in for this tab. Never returns."""
    store = browser_sessions(ctx)
    token = store.log_in(user.id)
    st.session_state[TOKEN_KEY] = token
    st.session_state[USER_KEY] = user
    browser = _cookie(BROWSER_COOKIE) if routes_installed() else None
    ticket = store.ticket(token, browser) if browser else None
    if ticket is None:
        st.rerun()
    _browser_to(f"{_base()}/{SESSION_ROUTE}?{urlencode({'ticket': ticket, 'next': next_path})}")
    st.stop()


def end_session(ctx: AppContext, everywhere: bool = False) -> int:
    """Log out: end this browser's session (``everywhere``: every session of the user), forget the
    user, and drop the cookie. Returns how many sessions ended when ``everywhere``. Never returns
    to the caller: the page reloads (or reruns) logged out."""
    store = browser_sessions(ctx)
    user = st.session_state.get(USER_KEY)
    ended = store.log_out_everywhere(user.id) if everywhere and user is not None else 0
    store.log_out(st.session_state.get(TOKEN_KEY))
    cookie = _cookie()
    store.log_out(store.token_of_cookie(cookie) if cookie else None)
    for key in list(st.session_state):
        del st.session_state[key]
    if cookie and routes_installed():
        _browser_to(f"{_base()}/{LOGOUT_ROUTE}")
        st.stop()
    st.rerun()
    return ended


def require_user() -> CurrentUser:
    """The logged-in user; pages reached without a log-in stop with a message."""
    user = current_user()
    if user is None:
        st.warning("Please log in first.")
        st.stop()
    return user


def pick_from_query(items: dict, kind: str, title) -> str:
    """The id in ``?id=``; without one, the learner's current item of this kind (the first not done
    and open in their track, ``portal.landing.current_item``), put in the URL; else one the user picks."""
    chosen = st.query_params.get("id")
    if chosen in items:
        return chosen
    if chosen:
        st.warning(f"There is no {kind} {chosen!r}; pick one below.")
    elif (current := _current_item(kind)) in items:
        st.query_params["id"] = current
        return current
    return st.selectbox(kind.capitalize(), sorted(items), format_func=lambda i: title(items[i]))


def _current_item(kind: str) -> str | None:
    from portal.landing import learner_current_item
    from ui.navigation import TRACK_KEY

    user = st.session_state.get(USER_KEY)
    if user is None:
        return None
    ctx = get_context()
    return learner_current_item(ctx.sessions, ctx.bank, user.id, kind, preferred=st.session_state.get(TRACK_KEY))
