"""Read a lesson (Markdown with LaTeX) and tick it off."""
import streamlit as st

from portal.catalog import mark_lesson_read
from portal.navigation import referenced_items, render_references
from ui.navigation import neighbour_links, place_caption, track_of
from ui.session import get_context, pick_from_query, require_user

ctx = get_context()
user = require_user()
lesson = ctx.bank.lessons[pick_from_query(ctx.bank.lessons, "lesson", lambda item: item.title)]
track_id = track_of(ctx, user, "lesson", lesson.id)

st.title(lesson.title)
nav = place_caption(ctx, track_id, "lesson", lesson.id)
st.caption(f"About {lesson.minutes} minutes")
if lesson.objectives:
    st.markdown("**You will learn to:**\n" + "\n".join(f"- {o}" for o in lesson.objectives))
st.divider()
st.markdown(render_references(lesson.body, ctx.bank, track_id))
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
    st.success("Ticked off." + (" On to the exercise!" if nav and nav.companions else ""))
neighbour_links(nav, "lesson", referenced_items(ctx.bank, lesson.body))
st.page_link("app_pages/tracks.py", label="← Back to the track")
