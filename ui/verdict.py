"""Drawing a verdict: the per-test table, the reason for an error, and the artifacts."""
from __future__ import annotations

from dataclasses import asdict

import altair as alt
import streamlit as st

from checker.service import VerdictView
from checker.verdict_table import mode_label, rule_notice, verdict_headline, verdict_rows

STATUS_TEXT = {"queued": "Queued…", "running": "Running the tests…"}


def render_verdict(view: VerdictView, live: list[dict] | None = None) -> None:
    """The verdict table and whatever the tests published; while it runs, the ``live`` charts so far."""
    if not view.final:
        st.info(f"{mode_label(asdict(view))}: {STATUS_TEXT.get(view.status, view.status)}", icon="⏳")
        for chart in live or ():
            render_artifact(chart)
        return
    summary = verdict_headline(asdict(view), strong="**")
    {"passed": st.success, "failed": st.warning, "error": st.error}[view.status](summary)
    if rule_notice(asdict(view)):
        st.error(rule_notice(asdict(view)), icon="🚫")
    if view.error_reason:
        st.error(view.error_reason)
    if view.tests:
        st.dataframe(verdict_rows(view.tests), hide_index=True, width="stretch",
                     column_config={"message": st.column_config.TextColumn(width="large")})
    for artifact in view.artifacts:
        render_artifact(artifact)
    if view.output and view.status != "passed":
        with st.expander("pytest output"):
            st.code(view.output[-8000:], language="text")


def render_artifact(artifact: dict) -> None:
    """One plot or text block a test published."""
    kind, name = artifact.get("kind"), artifact.get("name", "")
    st.markdown(f"**{name}**")
    if kind == "line":
        xs, ys = artifact.get("x", []), artifact.get("y", [])
        data = alt.Data(values=[{"x": x, "y": y} for x, y in zip(xs, ys)])
        chart = alt.Chart(data).mark_line(point=len(xs) <= 50).encode(
            x=alt.X("x:Q", title=artifact.get("x_label", "step")),
            y=alt.Y("y:Q", title=artifact.get("y_label", "value")))
        st.altair_chart(chart, width="stretch")
    elif kind == "heatmap":
        matrix = artifact.get("matrix", [])
        xl, yl = artifact.get("x_labels", []), artifact.get("y_labels", [])
        values = [{"row": f"{i:02d} {yl[i] if i < len(yl) else i}", "col": f"{j:02d} {xl[j] if j < len(xl) else j}",
                   "weight": w} for i, row in enumerate(matrix) for j, w in enumerate(row)]
        chart = alt.Chart(alt.Data(values=values)).mark_rect().encode(
            x=alt.X("col:O", title="attends to"), y=alt.Y("row:O", title="query"),
            color=alt.Color("weight:Q", scale=alt.Scale(scheme="blues")),
            tooltip=["row:O", "col:O", alt.Tooltip("weight:Q", format=".3f")])
        st.altair_chart(chart)
    elif kind == "text":
        st.code(artifact.get("text", ""), language="text")
