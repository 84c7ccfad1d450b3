"""Read a lesson (Markdown with LaTeX) and tick it off."""
import streamlit as st

from portal.catalog import mark_lesson_read
from ui.session import get_context, pick_from_query, require_user

ctx = get_context()
user = require_user()
lesson = ctx.bank.lessons[pick_from_query(ctx.bank.lessons, "lesson", lambda item: item.title)]

st.title(lesson.title)
st.caption(f"About {lesson.minutes} minutes")
if lesson.objectives:
    st.markdown("**You will learn to:**\n" + "\n".join(f"- {o}" for o in lesson.objectives))
st.divider()
st.markdown(lesson.body)
if lesson.quiz:
    st.divider()
    st.subheader("Self-check")
    for i, q in enumerate(lesson.quiz):
        choice = st.radio(q.question, q.options, index=None, key=f"quiz:{lesson.id}:{i}")
        if choice is not None:
            if q.options.index(choice) == q.answer:
                st.success("Right. " + q.explanation)
            else:
                st.warning("Not quite; have another look at the lesson and try again.")
st.divider()
if st.button("Mark as read ✅", key="mark_read"):
    mark_lesson_read(ctx.sessions, user.id, lesson.id)
    st.success("Ticked off. On to the exercise!")
st.page_link("app_pages/tracks.py", label="← Back to the track")
