"""My progress: every track's completion, module by module."""
import altair as alt
import streamlit as st

from portal.catalog import all_outlines
from ui.session import get_context, require_user

ctx = get_context()
user = require_user()
st.title("My progress")
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
