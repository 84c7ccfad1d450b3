"""What the Streamlit pages call: one plain function per user action, tested without a browser.

Pages translate widgets to calls and results to widgets; the rules (who may log in, what
counts as done, which submission a user may see) live here and in ``db``/``checker``.
"""
