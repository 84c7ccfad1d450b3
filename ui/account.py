"""My progress → Where you are logged in: how many browsers hold a session, and "log out everywhere"."""
from __future__ import annotations

import streamlit as st

from portal.auth import CurrentUser
from portal.context import AppContext
from ui.session import browser_sessions, end_session


def sessions_section(ctx: AppContext, user: CurrentUser) -> None:
    """The count of live log-ins and a button that ends all of them (this browser's too)."""
    st.subheader("Where you are logged in")
    live = browser_sessions(ctx).count_live(user.id)
    st.caption(f"You are logged in in {live} browser{'s' if live != 1 else ''} (each stays logged in "
               f"for {ctx.settings.session_days} days after its last use). Lost a laptop, or used a shared "
               "computer? End every session; you log in again here.")
    if st.button("Log out everywhere", key="logout_everywhere"):
        end_session(ctx, everywhere=True)
