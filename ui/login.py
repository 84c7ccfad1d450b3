"""The log-in view, or the first-run form that creates the admin account."""
import streamlit as st

from db.users import UserError
from portal.auth import create_first_admin, log_in, needs_first_admin
from portal.context import AppContext
from ui.session import USER_KEY


def login_view(ctx: AppContext) -> None:
    """Draws the form; on success stores the user in the session and reruns the requested page."""
    st.title("Deep learning, hands on")
    if needs_first_admin(ctx.sessions):
        st.subheader("Welcome! Create the admin account")
        st.write("This is a fresh installation. The first account you create is the administrator.")
        with st.form("first_admin"):
            username = st.text_input("Username", key="admin_username")
            password = st.text_input("Password (at least 8 characters)", type="password", key="admin_password")
            confirm = st.text_input("Repeat the password", type="password", key="admin_confirm")
            if st.form_submit_button("Create admin account"):
                try:
                    st.session_state[USER_KEY] = create_first_admin(ctx.sessions, username, password, confirm)
                    st.rerun()
                except UserError as exc:
                    st.error(str(exc))
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
                st.session_state[USER_KEY] = result.user
                st.rerun()
