"""Streamlit entry point: page set-up, log-in gate and navigation. Nothing else lives here.

    streamlit run app.py          # or `make run`, which also installs and migrates
"""
import streamlit as st

from courseware.loader import ContentError
from ui.login import login_view
from ui.session import current_user, get_context

st.set_page_config(page_title="Deep learning, hands on", page_icon="🧠", layout="wide")

try:
    ctx = get_context()
except ContentError as exc:
    st.error("The course content has problems; fix these files and restart:")
    st.code(str(exc), language="text")
    st.stop()

user = current_user()
# Registered even when logged out, so a deep link (/exercise?id=…) opens after log-in.
pages = [
    st.Page("app_pages/tracks.py", title="Tracks", icon="🗺️", url_path="tracks", default=True),
    st.Page("app_pages/lesson.py", title="Lesson", icon="📖", url_path="lesson"),
    st.Page("app_pages/exercise.py", title="Exercise", icon="🧪", url_path="exercise"),
    st.Page("app_pages/progress.py", title="My progress", icon="📈", url_path="progress"),
]
# Hiding pages is for tidiness only: the portal functions they call enforce access themselves.
if user is not None and user.role in ("lead", "admin"):
    pages.append(st.Page("app_pages/cohort.py", title="My cohorts", icon="👥", url_path="cohorts"))
if user is not None and user.role == "admin":
    pages.append(st.Page("app_pages/admin.py", title="Admin", icon="🛠️", url_path="admin"))
    pages.append(st.Page("app_pages/health.py", title="Grading health", icon="🩺", url_path="health"))
page = st.navigation(pages, position="sidebar" if user else "hidden")
if user is None:
    login_view(ctx)
    st.stop()
with st.sidebar:
    st.caption(f"Logged in as **{user.display_name}** ({user.role})")
    if user.role == "admin":
        with st.expander("Grading sandbox"):
            st.code(ctx.checker.describe(), language="text")
    if st.button("Log out", key="logout"):
        st.session_state.clear()
        st.rerun()
page.run()
