"""Pick a track and see its modules with progress ticks."""
from datetime import date

import streamlit as st

from portal.catalog import all_outlines, enroll, unenroll
from portal.landing import learner_home
from portal.pacing import schedule
from ui.resources import embed_choice, render_resources
from ui.session import get_context, require_user

ctx = get_context()
user = require_user()
outlines = all_outlines(ctx.sessions, ctx.bank, user.id)
if not outlines:
    st.info("No tracks are installed yet.")
    st.stop()

titles = {o.track.id: o.track.title for o in outlines}
# A cohort learner starts on their cohort's track; others on the one they browse or follow (portal.landing).
default = st.session_state.get("track_id") or learner_home(ctx.sessions, ctx.bank, user.id)
track_id = st.selectbox("Track", list(titles), index=list(titles).index(default) if default in titles else 0,
                        format_func=titles.get, key="track_picker")
st.session_state["track_id"] = track_id
outline = next(o for o in outlines if o.track.id == track_id)
with ctx.sessions() as session:
    cohort, module_schedule = schedule(session, ctx.bank, user.id, date.today())
opening = {s.module.id: s for s in module_schedule} if cohort and cohort.track_id == track_id else {}

st.title(outline.track.title)
if flash := st.session_state.pop("track_flash", None):  # the Follow / Unfollow button's note, after its rerun
    st.toast(flash)
st.progress(outline.done_count / max(outline.total, 1),
            text=f"{outline.done_count} of {outline.total} done · "
                 f"{outline.points_earned:g}/{outline.points_possible} points")
with st.expander("About this track", expanded=outline.done_count == 0):
    st.markdown(outline.track.description)
    if cohort is not None and cohort.track_id == track_id:
        st.caption(f"👥 Your cohort {cohort.name} follows this track.")
    elif outline.followed:
        if st.button("Unfollow this track", key="unenroll", help="Your progress stays; follow it again any time."):
            unenroll(ctx.sessions, user.id, track_id)
            st.session_state["track_flash"] = "Removed from your tracks."
            st.rerun()
    elif st.button("Follow this track", key="enroll"):
        enroll(ctx.sessions, user.id, track_id)
        st.session_state["track_flash"] = "Added to your tracks."
        st.rerun()

# Outside resources live on the track's modules (courseware.spec.Resource), by module id.
resources = {m.id: m.resources for m in outline.track.modules}
embed = embed_choice() if any(resources.values()) else False
for module in outline.modules:
    with st.container(border=True):
        st.subheader(f"{module.title}  ·  {module.done_count}/{module.total}")
        when = opening.get(module.id)
        if when is not None:
            due = f" · due {when.due_at:%d %b %Y}" if when.due_at else ""
            st.caption(("🔒 opens " if not when.is_open else "opened ") + f"{when.opens_on:%d %b %Y}{due}")
        if module.summary:
            st.caption(module.summary)
        render_resources(resources.get(module.id, ()), embed)
        for item in module.items:
            tick = "✅" if item.done else ("🕒" if item.coming else ("🔒" if item.lock else "⬜"))
            if item.coming:
                st.markdown(f"{tick} {item.title} — *coming*")
                continue
            page = "app_pages/lesson.py" if item.kind == "lesson" else "app_pages/exercise.py"
            kind = "📖 Lesson" if item.kind == "lesson" else "🧪 Exercise"
            score = f" · {item.score:g}/{item.points} pts" if item.score is not None else ""
            score += f" · {item.lock.short(date.today())}" if item.lock else ""  # not open yet (portal.pacing)
            st.page_link(page, label=f"{tick} {kind}: {item.title}{score}", query_params={"id": item.id})
