"""The log-in view, or the first-run form that creates the admin account."""
from __future__ import annotations

from typing import Mapping

import streamlit as st

from db.users import UserError
from portal.auth import create_first_admin, log_in, needs_first_admin
from portal.context import AppContext
from portal.landing import after_login_path
from ui.session import begin_session


def login_view(ctx: AppContext, page: str = "", query: Mapping[str, str] | None = None) -> None:
    """Draws the form; on success opens the session (``ui.session.begin_session``) and returns to the
    page that was asked for (``page``, its URL path, and ``query``) when the account may open it."""
    st.title("Deep learning, hands on")
    base = st.get_option("server.baseUrlPath") or ""
    if needs_first_admin(ctx.sessions):
        st.subheader("Welcome! Create the admin account")
        st.write("This is a fresh installation. The first account you create is the administrator.")
        with st.form("first_admin"):
            username = st.text_input("Username", key="admin_username")
            password = st.text_input("Password (at least 8 characters)", type="password", key="admin_password")
            confirm = st.text_input("Repeat the password", type="password", key="admin_confirm")
            if st.form_submit_button("Create admin account"):
                try:
                    user = create_first_admin(ctx.sessions, username, password, confirm)
                except UserError as exc:
                    st.error(str(exc))
                else:
                    begin_session(ctx, user, after_login_path("", {}, user.role, base))
        return
    st.subheader("Log in")
    with st.form("login"):
        username = st.text_input("Username", key="login_username")
        password = st.text_input("Password", type="password", key="login_password")
        if st.form_submit_button("Log in"):
            result = log_in(ctx.sessions, username, password)
            if result.user is None:
                st.error(result.message)
            else:
                begin_session(ctx, result.user, after_login_path(page, query or {}, result.user.role, base))
