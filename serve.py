"""The app's entry point: the Streamlit app (``app.py``) on Streamlit's Starlette server, plus the
routes and middleware that turn a log-in into an HttpOnly session cookie (``portal.web_routes``).

    streamlit run serve.py --server.port 8501      # what `make run` does; the tests start it too

``streamlit run app.py`` still works, but then a log-in lasts only as long as the browser tab.
"""
import streamlit as st

from portal.web_routes import session_middleware, session_routes

app = st.App("app.py", routes=session_routes(), middleware=session_middleware())
