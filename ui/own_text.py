"""The "Try it on your own text" panel of exercises that have a playground."""
from __future__ import annotations

import streamlit as st

from sandbox.inputs import MIN_OWN_TEXT_CHARS, OWN_TEXT
from grading.service import GradingService, SubmitError
from courseware.spec import ExerciseSpec
from portal.own_text import pick_own_text


def own_text_panel(grading: GradingService, user_id: int, spec: ExerciseSpec, code: str,
                   locked: bool = False) -> int | None:
    """Upload or paste a text and run the editor's code on it; the id of the run started, else None.

    ``locked``: the exercise is not open yet for the learner (the button is disabled; the service refuses too).
    """
    with st.expander("🧪 Try it on your own text"):
        st.caption("Your code learns a text of your choice and shows what it writes. This is never graded: "
                   f"Run and Submit keep using the exercise's tests. Plain UTF-8 text, {MIN_OWN_TEXT_CHARS:,} "
                   "characters to 1 MB.")
        upload = st.file_uploader("A .txt file", type=["txt"], key=f"own_text_file:{spec.id}")
        pasted = st.text_area("…or paste a text", key=f"own_text_paste:{spec.id}", height=120)
        if not st.button("▶ Run my code on this text", key="own_text_run", width="stretch", disabled=locked):
            return None
        text, problem = pick_own_text(upload.getvalue() if upload is not None else None, pasted)
        if problem:
            st.error(problem)
            return None
        try:
            receipt = grading.submit(user_id=user_id, exercise_id=spec.id, code=code, mode="run",
                                     inputs={OWN_TEXT: text})
        except SubmitError as exc:
            st.error(str(exc))
            return None
        return receipt.submission_id
