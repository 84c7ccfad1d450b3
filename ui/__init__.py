"""Streamlit building blocks shared by the pages (rendering only; no business rules)."""
