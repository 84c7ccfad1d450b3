"""Streamlit entry point: page set-up, log-in gate and navigation. Nothing else lives here.

    streamlit run serve.py        # or `make run`, which also installs and migrates; serve.py serves
                                  # this script with the routes that keep a log-in in a cookie
"""
import streamlit as st

from portal.context import ContentProblem
from portal.landing import landing_page, may_open
from ui.login import login_view
from ui.session import current_user, end_session, get_context

st.set_page_config(page_title="Deep learning, hands on", page_icon="🧠", layout="wide")

try:
    ctx = get_context()
except ContentProblem as exc:
    st.error("The course content has problems; fix these files and restart:")
    st.code(str(exc), language="text")
    st.stop()

user = current_user()
pages = {
    "tracks": st.Page("app_pages/tracks.py", title="Tracks", icon="🗺️", url_path="tracks", default=True),
    "lesson": st.Page("app_pages/lesson.py", title="Lesson", icon="📖", url_path="lesson"),
    "exercise": st.Page("app_pages/exercise.py", title="Exercise", icon="🧪", url_path="exercise"),
    "progress": st.Page("app_pages/progress.py", title="My progress", icon="📈", url_path="progress"),
    "cohorts": st.Page("app_pages/cohort.py", title="My cohorts", icon="👥", url_path="cohorts"),
    "admin": st.Page("app_pages/admin.py", title="Admin", icon="🛠️", url_path="admin"),
    "health": st.Page("app_pages/health.py", title="Grading health", icon="🩺", url_path="health"),
}
# Logged out, every page is registered (and the menu hidden) so that a deep link (/cohorts,
# /exercise?id=…) resolves, shows the log-in form and opens after log-in. Logged in, the menu lists
# the role's pages; hiding pages is for tidiness only: the portal functions they call enforce access.
shown = [p for name, p in pages.items() if user is None or may_open(user.role, name)]
page = st.navigation(shown, position="sidebar" if user else "hidden")
if user is None:
    login_view(ctx, page.url_path, st.query_params.to_dict())
    st.stop()
# A fresh visit to the root starts on the role's landing page (a lead's cohort dashboard).
if not st.session_state.get("landed"):
    st.session_state["landed"] = True
    landing = landing_page(user.role)
    if page.url_path == "" and not st.query_params and landing != "tracks" and may_open(user.role, landing):
        st.switch_page(pages[landing])
with st.sidebar:
    st.caption(f"Logged in as **{user.display_name}** ({user.role})")
    if user.role == "admin":
        with st.expander("Grading sandbox"):
            st.code(ctx.grading_engine.describe(), language="text")
    if st.button("Log out", key="logout"):
        end_session(ctx)
page.run()
