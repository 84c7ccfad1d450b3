"""The cached platform context and the logged-in user, as the pages reach them."""
from __future__ import annotations

import streamlit as st

from courseware.settings import get_settings
from portal.api import serve_beside_app
from portal.auth import CurrentUser
from portal.context import AppContext, build_context

USER_KEY = "user"


@st.cache_resource(show_spinner="Starting the platform…")
def get_context() -> AppContext:
    """One context per server process: engine, content, worker pool, learner API (never per rerun)."""
    ctx = build_context(get_settings())
    ctx.api = serve_beside_app(ctx)
    return ctx


def current_user() -> CurrentUser | None:
    """The logged-in user of this browser session, if any."""
    return st.session_state.get(USER_KEY)


def require_user() -> CurrentUser:
    """The logged-in user; pages reached without a log-in stop with a message."""
    user = current_user()
    if user is None:
        st.warning("Please log in first.")
        st.stop()
    return user


def pick_from_query(items: dict, kind: str, title) -> str:
    """The id in ``?id=``, or one the user picks when it is missing or unknown."""
    chosen = st.query_params.get("id")
    if chosen in items:
        return chosen
    if chosen:
        st.warning(f"There is no {kind} {chosen!r}; pick one below.")
    return st.selectbox(kind.capitalize(), sorted(items), format_func=lambda i: title(items[i]))
