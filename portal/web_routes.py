"""The log-in cookie's two routes and its middleware, served by Streamlit's own Starlette server.

``serve.py`` mounts them (``st.App("app.py", routes=session_routes(), middleware=session_middleware())``);
``make run`` and the browser tests start the app through it. See ``portal.browser_session`` for
the whole flow.

``GET /auth/session?ticket=…&next=/cohorts``
    Swaps a one-time ticket (made by the log-in form for this browser) for the session cookie:
    HttpOnly, SameSite=Lax, Secure with SESSION_COOKIE_SECURE=yes, Max-Age SESSION_DAYS; then
    303 to ``next`` (a path on this site). A bad ticket sets nothing and still goes to ``next``,
    where the log-in form shows again.
``GET /auth/logout``
    Deletes the cookie once its session has ended (the page's *Log out* ends it first), then 303
    to the app's root. A link to it from another site cannot end a live session.
Middleware, on every HTML page load
    Gives the browser its ``course_browser`` cookie (tickets are bound to it) and renews the
    session cookie's Max-Age, so an active learner is never logged out by the cookie's age.
"""
from __future__ import annotations

import functools
from http.cookies import SimpleCookie
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal import browser_session
from portal.browser_session import BROWSER_COOKIE, COOKIE_NAME, BrowserSessions, safe_next

_NOT_PAGES = ("_stcore/", "static/", "media/", "component/", "app/static/", "auth/", "api/")


@functools.lru_cache(maxsize=1)
def _store() -> BrowserSessions:
    """Sessions on the platform's database, with an engine of the routes' own (no worker pool)."""
    from config import get_settings
    from db.engine import make_engine, session_factory

    settings = get_settings()
    return BrowserSessions(session_factory(make_engine(settings.sqlalchemy_url)), settings)


def base_path() -> str:
    """Streamlit's ``server.baseUrlPath`` as "/prefix" ("" when served at the root)."""
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}" if base else ""


def set_session_cookie(response: Response, value: str, store: BrowserSessions) -> None:
    """The session cookie's one definition: HttpOnly, SameSite=Lax, Secure per setting."""
    response.set_cookie(COOKIE_NAME, value, max_age=store.max_age_s, path="/", httponly=True,
                        samesite="lax", secure=store.secure)


async def open_session(request: Request) -> Response:
    """``/auth/session``: ticket → session cookie → the page asked for."""
    store = _store()
    target = safe_next(request.query_params.get("next"))
    ticket = request.query_params.get("ticket", "")
    browser = request.cookies.get(BROWSER_COOKIE, "")
    value = await run_in_threadpool(store.claim_cookie, ticket, browser) if ticket and browser else None
    response = RedirectResponse(target, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    if value is not None:
        set_session_cookie(response, value, store)
    return response


async def close_session(request: Request) -> Response:
    """``/auth/logout``: drop the cookie of an ended session, back to the root."""
    store = _store()
    response = RedirectResponse(safe_next(base_path() + "/"), status_code=303)
    response.headers["Cache-Control"] = "no-store"
    value = request.cookies.get(COOKIE_NAME)
    if value is not None and not await run_in_threadpool(store.cookie_is_live, value):
        response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax", secure=store.secure)
    return response


def session_routes() -> list[Route]:
    """The two routes, under Streamlit's base URL path; marks the cookie log-in as available."""
    browser_session.mark_routes_installed()
    base = base_path()
    return [Route(f"{base}/{browser_session.SESSION_ROUTE}", open_session, methods=["GET"]),
            Route(f"{base}/{browser_session.LOGOUT_ROUTE}", close_session, methods=["GET"])]


class SessionCookieMiddleware:
    """On HTML page loads: set the browser cookie when missing and renew a signed session cookie."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD") \
                or scope["path"].removeprefix(base_path()).lstrip("/").startswith(_NOT_PAGES):
            await self.app(scope, receive, send)
            return
        cookies = _request_cookies(scope)
        store = _store()
        session_value = cookies.get(COOKIE_NAME)
        renew = session_value is not None and \
            await run_in_threadpool(store.token_of_cookie, session_value) is not None
        browser = None if cookies.get(BROWSER_COOKIE) else browser_session.new_browser_id()

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and _is_html(message):
                extra = Response()
                if browser is not None:
                    extra.set_cookie(BROWSER_COOKIE, browser, path="/", httponly=True, samesite="lax",
                                     secure=store.secure)
                if renew:
                    set_session_cookie(extra, session_value, store)
                headers = list(message.get("headers", []))
                headers += [(k, v) for k, v in extra.raw_headers if k == b"set-cookie"]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def _request_cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # a malformed cookie header: treat as none
                continue
    return {k: m.value for k, m in jar.items()}


def _is_html(message: dict[str, Any]) -> bool:
    return any(k == b"content-type" and v.startswith(b"text/html") for k, v in message.get("headers", []))


def session_middleware() -> list[Middleware]:
    """The middleware list for ``st.App``."""
    return [Middleware(SessionCookieMiddleware)]
