"""Streamlit entry point: page set-up, log-in gate and navigation. Nothing else lives here.

    streamlit run app.py          # or `make run`, which also installs and migrates
"""
import streamlit as st

from courseware.loader import ContentError
from ui.session import USER_KEY, current_user, get_context

st.set_page_config(page_title="Deep learning, hands on", page_icon="🧠", layout="wide")

try:
    get_context()
except ContentError as exc:
    st.error("The course content has problems; fix these files and restart:")
    st.code(str(exc), language="text")
    st.stop()

user = current_user()
if user is None:
    page = st.navigation([st.Page("pages/login.py", title="Log in", icon="🔑", url_path="login")])
else:
    page = st.navigation([
        st.Page("pages/tracks.py", title="Tracks", icon="🗺️", url_path="tracks", default=True),
        st.Page("pages/lesson.py", title="Lesson", icon="📖", url_path="lesson"),
        st.Page("pages/exercise.py", title="Exercise", icon="🧪", url_path="exercise"),
        st.Page("pages/progress.py", title="My progress", icon="📈", url_path="progress"),
    ])
    with st.sidebar:
        st.caption(f"Logged in as **{user.display_name}** ({user.role})")
        if st.button("Log out", key="logout"):
            st.session_state.clear()
            st.rerun()
page.run()
