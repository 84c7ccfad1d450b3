"""Drawing a verdict: a summary line, one card per failing test, the rest collapsed, and the artifacts.

The failing tests' messages are shown in full and wrapped, with expected and got side by side where
the message says both; passed tests and the full table (the command line's columns) wait in an
expander; pytest's output, filtered for learners (``verdicts.learner_output``), is there for Run and Submit.
"""
from __future__ import annotations

import re
from dataclasses import asdict

import altair as alt
import streamlit as st

from grading.service import VerdictView
from verdicts.table import (ICONS, expected_got, failing_tests, mode_label, rule_notice, test_kind,
                                   verdict_rows, verdict_summary)

STATUS_TEXT = {"queued": "Queued…", "running": "Running the tests…"}
KIND_COLOURS = {"rule": "red", "hidden": "violet", "public": "blue"}
MAX_OUTPUT_CHARS = 8000


def plain(text: str) -> str:
    """``text`` for st.markdown, shown as written: no Markdown, LaTeX or colour directive in it acts,
    and its line breaks stay."""
    escaped = re.sub(r"([\\`*_{}\[\]()#+\-.!|$<>~:&])", r"\\\1", text)
    return "  \n".join(escaped.splitlines())


def inline_code(text: str) -> str:
    """``text`` as one inline code span, whatever backticks it holds."""
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}"


def render_verdict(view: VerdictView, live: list[dict] | None = None) -> None:
    """The verdict and whatever the tests published; while it runs, the ``live`` charts so far."""
    data = asdict(view)
    if not view.final:
        status = STATUS_TEXT.get(view.status, view.status)
        if view.waiting_note:
            status = f"Queued: {view.waiting_note}…"
        st.info(f"{mode_label(data)}: {status}", icon="⏳")
        for chart in live or ():
            render_artifact(chart)
        return
    {"passed": st.success, "failed": st.warning, "error": st.error}[view.status](verdict_summary(data))
    if rule_notice(data):
        st.error(rule_notice(data), icon="🚫")
    if view.error_reason:
        st.error(view.error_reason)
    for test in failing_tests(view.tests):
        render_failure(test)
    if view.tests:
        passed = sum(t["outcome"] == "passed" for t in view.tests)
        with st.expander(f"{ICONS['passed']} All {len(view.tests)} tests ({passed} passed)"):
            st.dataframe(verdict_rows(view.tests), hide_index=True, width="stretch",
                         column_config={"message": st.column_config.TextColumn(width="large")})
    for artifact in view.artifacts:
        render_artifact(artifact)
    if view.output:
        with st.expander("pytest output" + (" (hidden tests' sections left out)" if view.mode == "submit" else "")):
            st.code(view.output[-MAX_OUTPUT_CHARS:], language="text", wrap_lines=True)


def render_failure(test: dict) -> None:
    """One failing test as a card: name and kind, the whole message, expected and got."""
    kind = test_kind(test)
    message = test.get("message") or "(no message)"
    with st.container(border=True):
        st.markdown(f"{ICONS.get(test['outcome'], '?')} **{plain(test['name'])}** "
                    f":{KIND_COLOURS.get(kind, 'gray')}-badge[{kind} test]")
        st.markdown(plain(message))
        found = expected_got(message)
        if found is not None:
            expected, got = found
            st.markdown(f"**Expected** {inline_code(expected)}  \n**Got** {inline_code(got)}")


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
        st.code(artifact.get("text", ""), language="text", wrap_lines=True)
