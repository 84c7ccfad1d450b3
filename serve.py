"""The app's entry point: the Streamlit app (``app.py``) on Streamlit's Starlette server, plus the
routes and middleware that turn a log-in into an HttpOnly session cookie (``portal.web_routes``)
and the learner API under ``/api/v1/`` (``portal.api``), all on the app's one port.

    streamlit run serve.py --server.port 8501      # what `make run` does; the tests start it too

``streamlit run app.py`` still works, but then a log-in lasts only as long as the browser tab.
"""
# Imported once here, before any page runs. Streamlit starts a new script thread on a rerun
# without waiting for the old one to stop (runner.fastReruns), so a first import of these inside
# two page runs at once could hand the second a half-imported module ("partially initialized
# module 'pandas' has no attribute 'Timestamp'").
import altair  # noqa: F401
import pandas  # noqa: F401
import pyarrow  # noqa: F401
import streamlit as st

from portal.api import api_routes
from portal.web_routes import session_middleware, session_routes
from ui.session import get_context

app = st.App("app.py", routes=session_routes() + api_routes(get_context), middleware=session_middleware())
