"""My progress: the cohort schedule, what is due, the streak, every track's completion, and
command-line access tokens."""
from datetime import date

import altair as alt
import streamlit as st

from portal.catalog import all_outlines
from portal.learner_progress import my_progress
from portal.user_data import export_user
from portal.regrade import STALE_LABEL, stale_exercises
from ui.account import sessions_section
from ui.cli_access import cli_access_section
from ui.session import get_context, require_user

ctx = get_context()
user = require_user()
st.title("My progress")
mine = my_progress(ctx.sessions, ctx.bank, user.id, date.today())
col1, col2 = st.columns(2)
col1.metric("Streak", f"{mine.streak_days} day{'s' if mine.streak_days != 1 else ''}")
col2.metric("Cohort", mine.cohort_name or "self-paced")
if mine.due:
    st.subheader("Due")
    for item in mine.due:
        text = f"**{item.title}** — due {item.due_at:%a %d %b %Y, %H:%M} UTC"
        (st.error if item.overdue else st.info)(text + (" (overdue: late work is still accepted)" if item.overdue else ""))
stale = stale_exercises(ctx.sessions, ctx.bank, user.id)
if stale:
    st.warning(f"Your best score on {', '.join(f'**{title}**' for _, title in stale)} was {STALE_LABEL}: "
               "the tests have changed since. Submit again to be graded against the current ones.", icon="🕰️")
if mine.schedule:
    st.subheader("Schedule")
    st.dataframe([{"module": s.module.title, "opens": s.opens_on.isoformat(),
                   "due": s.due_at.strftime("%Y-%m-%d") if s.due_at else "", "open": "yes" if s.is_open else "🔒"}
                  for s in mine.schedule], hide_index=True, key="schedule")
if mine.passed_over_time:
    st.subheader("Exercises passed over time")
    st.altair_chart(alt.Chart(alt.Data(values=mine.passed_over_time)).mark_line(point=True, interpolate="step-after")
                    .encode(x=alt.X("date:T"), y=alt.Y("passed:Q", title="exercises passed")), width="stretch")
for outline in all_outlines(ctx.sessions, ctx.bank, user.id):
    st.subheader(outline.track.title)
    col1, col2 = st.columns(2)
    col1.metric("Items done", f"{outline.done_count}/{outline.total}")
    col2.metric("Points", f"{outline.points_earned:g}/{outline.points_possible}")
    rows = [{"module": f"{m.week:02d} · {m.title}", "status": status, "items": n}
            for m in outline.modules
            for status, n in (("done", m.done_count), ("to do", m.total - m.done_count))]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("items:Q", stack="zero"), y=alt.Y("module:N", title=None),
        color=alt.Color("status:N", scale=alt.Scale(domain=["done", "to do"], range=["#2e7d32", "#cfd8dc"])))
    st.altair_chart(chart, width="stretch")
cli_access_section(ctx, user)
st.subheader("Your data")
st.caption("Everything the platform holds about you, as a ZIP: your submissions with their code and verdicts, "
           "drafts, hints you opened, lessons read, and your command-line tokens (never their secrets).")
if st.button("Prepare my data", key="my_data_prepare"):
    st.session_state["my_data_file"] = export_user(ctx.sessions, user, user.id)
if (my_data := st.session_state.get("my_data_file")) is not None:
    st.download_button(f"Download {my_data[0]}", my_data[1], file_name=my_data[0], mime="application/zip",
                       key="my_data_download")
sessions_section(ctx, user)
