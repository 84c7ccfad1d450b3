"""*My progress* → Command-line access: make a personal token (shown once), list and revoke tokens."""
from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from portal.access import AccessDenied
from portal.auth import CurrentUser
from portal.context import AppContext
from portal.tokens import TokenError, create_token, list_tokens, revoke_token
from portal.web_routes import base_path

UNKNOWN_ADDRESS = "http://<this course's address>"


def server_address(page_url: str | None) -> str:
    """What learners pass as ``--server``: the address this page was opened at, without the page
    (the API is served by the same server, under ``/api/v1/``)."""
    if not page_url:
        return UNKNOWN_ADDRESS
    parts = urlsplit(page_url)
    return f"{parts.scheme}://{parts.netloc}{base_path()}"


def usage_commands(server: str) -> str:
    """The shell commands that use a token against ``server``."""
    return (f"python -m learner_cli login --server {server}    # paste the token when asked\n"
            "python -m learner_cli check EXERCISE my_solution.py     # public tests, on your machine\n"
            "python -m learner_cli submit EXERCISE my_solution.py    # all tests, graded here; counts as an attempt\n"
            "python -m learner_cli submit EXERCISE my_solution.py --mode run   # public tests, graded here")


def cli_access_section(ctx: AppContext, user: CurrentUser) -> None:
    """Create, list and revoke the user's tokens, with the commands that use them."""
    st.subheader("Command-line access")
    st.caption("Prefer your own editor? A personal token lets the course's command-line client "
               "(`learner_cli`, in the course repository) run the public tests on your machine and "
               "submit to this server. EXERCISE is the id in an exercise page's address.")
    with st.form("new_token", clear_on_submit=True):
        name = st.text_input("Token name (where you will use it)", placeholder="laptop", key="token_name")
        created = st.form_submit_button("Create token")
    if created:
        try:
            with ctx.sessions() as session:
                token, _ = create_token(session, user.id, name)
                session.commit()
        except TokenError as exc:
            st.error(str(exc))
        else:
            st.success("Token created. Copy it now: it is shown only this once (only a hash of it is kept).")
            st.code(token, language="text")
            st.code(usage_commands(server_address(st.context.url)), language="bash")
            st.caption("In scripts, set `COURSE_TOKEN` and `COURSE_SERVER` instead of logging in.")
    with ctx.sessions() as session:
        tokens = list_tokens(session, user.id)
    if not tokens:
        st.caption("You have no active tokens.")
    for token_row in tokens:
        cols = st.columns([3, 2, 3, 3, 2], vertical_alignment="center")
        cols[0].markdown(f"**{token_row.name}**")
        cols[1].code(f"{token_row.prefix}…", language="text")
        cols[2].caption(f"created {token_row.created_at:%Y-%m-%d %H:%M} UTC")
        cols[3].caption(f"last used {token_row.last_used_at:%Y-%m-%d %H:%M} UTC" if token_row.last_used_at
                        else "never used")
        if cols[4].button("Revoke", key=f"revoke_token:{token_row.id}"):
            try:
                with ctx.sessions() as session:
                    revoke_token(session, user, token_row.id)
                    session.commit()
            except (TokenError, AccessDenied) as exc:
                st.error(str(exc))
            else:
                st.rerun()
