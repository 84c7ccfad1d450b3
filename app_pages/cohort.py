"""The lead's cohort dashboard: heatmap, completion against the schedule, hardest exercises,
stuck learners, leaderboards, due dates and extensions, a learner drill-down and the gradebook."""
from datetime import date

import altair as alt
import streamlit as st

from portal.access import AccessDenied
from portal.cohorts import cohort_choices, deadlines, grant_extension, set_deadline
from portal.dashboard import BAND_COLOURS, SCORE_BANDS, cohort_dashboard, heatmap_cells
from portal.drilldown import attempt_rows, attempts, diff, hint_uses
from portal.gradebook import gradebook_csv
from portal.leaderboard import cohort_leaderboard, leaderboard_exercises
from portal.regrade import STALE_LABEL
from ui.leaderboard import render_leaderboard
from ui.session import get_context, require_user

ctx = get_context()
user = require_user()


def show_attempts(history, keys: tuple[str, str, str, str]) -> None:
    """The attempts table, the code of one attempt and a diff of two (``keys``: the widgets' keys)."""
    table_key, code_key, from_key, to_key = keys
    st.dataframe(attempt_rows(history, titles), hide_index=True, key=table_key)
    if not history:
        return
    by_id = {a.id: a for a in history}
    label = {a.id: f"#{a.id} · {a.status} · {a.created_at:%d %b %H:%M}" for a in history}
    shown = st.selectbox("Show the code of attempt", list(by_id), format_func=label.get, key=code_key)
    st.code(by_id[shown].code, language="python")
    if len(history) > 1:
        a, b = st.columns(2)
        older = a.selectbox("Diff from", list(by_id), index=1, format_func=label.get, key=from_key)
        newer = b.selectbox("to", list(by_id), index=0, format_func=label.get, key=to_key)
        st.code(diff(by_id[older], by_id[newer]) or "(identical)", language="diff")


@st.dialog("Attempts", width="large")
def show_cell(learner, exercise_id: str) -> None:
    """The drill-down of one heatmap cell, opened where the lead clicked."""
    st.markdown(f"**{learner.username}** ({learner.name}) · **{titles.get(exercise_id, exercise_id)}**")
    history = attempts(ctx.sessions, user, learner.id, exercise_id, bank=ctx.bank)
    if not history:
        st.caption("No attempts at this exercise yet.")
    show_attempts(history, ("cell_attempts", "cell_code", "cell_diff_from", "cell_diff_to"))
    used = [n for e, n, _ in hint_uses(ctx.sessions, user, learner.id) if e == exercise_id]
    st.caption(f"Hints revealed for this exercise: {len(used)}")
    st.caption("The full drill-down (every exercise, hint times) is at the bottom of the page.")


cohorts = cohort_choices(ctx.sessions, user)
if not cohorts:
    st.info("You do not lead any cohort yet. An admin can create one and make you its lead.")
    st.stop()
cohort_id = st.selectbox("Cohort", list(cohorts), format_func=cohorts.get, key="lead_cohort")
try:
    data = cohort_dashboard(ctx.sessions, ctx.bank, user, cohort_id, today=date.today())
except AccessDenied as exc:
    st.error(str(exc))
    st.stop()

st.title(f"{data.cohort_name}")
track = ctx.bank.tracks.get(data.track_id)
st.caption(f"{track.title if track else data.track_id} · started {data.start_date:%d %b %Y} · "
           f"{len(data.learners)} learners · {len(data.exercises)} exercises")
st.download_button("⬇ Gradebook (CSV)", gradebook_csv(ctx.sessions, ctx.bank, user, cohort_id),
                   file_name=f"gradebook-{data.cohort_name}.csv", mime="text/csv", key="gradebook")

st.subheader("Best score per learner and exercise")
titles = dict(data.exercises)
points = {e: ctx.bank.exercises[e].points for e, _ in data.exercises}
# One colour per band (portal.dashboard.score_band), by the share of the exercise's points so a 10/10
# looks as done as a 20/20; "not open" and "not attempted" are not scores and never look like 0 %.
cells = heatmap_cells(data, points)
pick = alt.selection_point(fields=["learner", "exercise_id"], name="cell")
heatmap = alt.Chart(alt.Data(values=cells)).mark_rect().encode(
    x=alt.X("exercise:N", sort=[t for _, t in data.exercises], title=None,
            axis=alt.Axis(labelAngle=-30, labelLimit=220)),
    y=alt.Y("learner:N", title=None),
    color=alt.Color("band:N", title="Best score", sort=list(SCORE_BANDS),
                    scale=alt.Scale(domain=list(SCORE_BANDS), range=list(BAND_COLOURS)),
                    legend=alt.Legend(orient="right", symbolType="square", symbolStrokeColor="#90a4ae")),
    tooltip=["learner:N", "exercise:N", "best:Q", "percent:Q", "attempts:Q", "band:N", "tests:N"],
    # Best scores graded against an older version of the tests are outlined (portal/regrade.py).
    stroke=alt.condition(alt.datum.tests == "older version", alt.value("#e65100"), alt.value("#ffffff")),
    strokeWidth=alt.condition(alt.datum.tests == "older version", alt.value(3), alt.value(1)),
).add_params(pick).properties(height=max(200, 18 * len(data.learners)))
event = st.altair_chart(heatmap, on_select="rerun", key="heatmap", width="stretch")
st.caption("Click a cell to see that learner's attempts at the exercise.")
if data.stale:
    st.caption(f"Outlined in orange: {len(data.stale)} best score(s) {STALE_LABEL}. "
               "An admin can regrade the exercise (Admin → Regrade).")
chosen = (event.get("selection", {}).get("cell") or [None])[0] if isinstance(event, dict) else None
by_name = {l.username: l for l in data.learners}
if chosen and chosen.get("learner") in by_name:
    picked = (by_name[chosen["learner"]].id, chosen.get("exercise_id"))
    st.session_state["drill_learner"], st.session_state["drill_exercise"] = picked
    if st.session_state.get("drill_shown") != picked:  # open once per click, not on every rerun after it
        st.session_state["drill_shown"] = picked
        show_cell(by_name[chosen["learner"]], picked[1])
else:
    st.session_state["drill_shown"] = None

st.subheader("Completion by module, against the schedule")
if data.completion:
    # Actual: solid lines with filled dots; schedule: dashed lines with hollow squares (colour: module).
    base = alt.Chart(alt.Data(values=data.completion)).encode(
        x=alt.X("week:O", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("percent:Q", title="% of learners done", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("module:N", title="Module", scale=alt.Scale(scheme="tableau10")))
    lines = base.mark_line(strokeWidth=2).encode(strokeDash=alt.StrokeDash(
        "series:N", title="Line", scale=alt.Scale(domain=["actual", "schedule"], range=[[1, 0], [6, 4]]),
        legend=alt.Legend(symbolType="stroke", symbolStrokeColor="#424242", symbolStrokeWidth=2, symbolSize=300)))
    marks = base.mark_point(size=70, strokeWidth=2, filled=False).encode(
        shape=alt.Shape("series:N", legend=None, scale=alt.Scale(domain=["actual", "schedule"],
                                                                 range=["circle", "square"])),
        fill=alt.condition(alt.datum.series == "actual", alt.Color("module:N"), alt.value("#ffffff")),
        tooltip=["module:N", "week:O", "percent:Q", "series:N"])
    with st.container(key="completion"):
        st.altair_chart(lines + marks, width="stretch")
    st.caption("Solid line, filled dots: learners who passed every exercise of the module by that week. "
               "Dashed line, hollow squares: the schedule (the module is due once it opens).")

left, right = st.columns(2)
with left:
    st.subheader("Hardest exercises")
    for h in data.hardest:
        with st.expander(f"{h.title} — {h.passed}/{h.attempted} passed, {h.failed_attempts} failed attempts"):
            if h.failing_hidden_tests:
                st.markdown("**Hidden tests that fail most**")
                st.dataframe([{"test": n, "failures": c} for n, c in h.failing_hidden_tests], hide_index=True)
            if h.error_classes:
                st.markdown("**Why submissions fail**")
                st.bar_chart({k: c for k, c in h.error_classes}, horizontal=True)
with right:
    st.subheader("Stuck learners")
    if data.stuck:
        st.dataframe([{"learner": s.username, "reason": s.reason} for s in data.stuck], hide_index=True,
                     key="stuck_table")
    else:
        st.caption("Nobody is stuck right now.")

for board_exercise in leaderboard_exercises(ctx.bank, [e for e, _ in data.exercises]):
    st.subheader(f"Leaderboard: {titles[board_exercise]}")
    render_leaderboard(cohort_leaderboard(ctx.sessions, ctx.bank, user, cohort_id, board_exercise))

st.subheader("Due dates and extensions")
items = ([(m.id, f"module: {m.title}") for m in track.modules] if track else []) + \
        [(e, f"exercise: {t}") for e, t in data.exercises]
labels = dict(items)
with st.form("deadline"):
    item = st.selectbox("Module or exercise", [i for i, _ in items], format_func=labels.get, key="deadline_item")
    due = st.date_input("Due on (end of day, UTC)", key="deadline_date")
    if st.form_submit_button("Set due date"):
        set_deadline(ctx.sessions, user, cohort_id, item, due)
        st.success(f"Due date set: {labels[item]} on {due:%d %b %Y}.")
current = deadlines(ctx.sessions, user, cohort_id)
if current:
    st.dataframe([{"item": labels.get(k, k), "due (end of day, UTC)": v} for k, v in current.items()],
                 hide_index=True)
with st.form("extension"):
    learner_names = {l.id: l.username for l in data.learners}
    who = st.selectbox("Learner", list(learner_names), format_func=learner_names.get, key="ext_learner")
    what = st.selectbox("Module or exercise", [i for i, _ in items], format_func=labels.get, key="ext_item")
    until = st.date_input("New due date", key="ext_date")
    if st.form_submit_button("Grant extension") and who is not None:
        grant_extension(ctx.sessions, user, cohort_id, who, what, until)
        st.success(f"Extension granted to {learner_names[who]} for {labels[what]} until {until:%d %b %Y}.")

st.subheader("Learner drill-down")
learner_ids = [l.id for l in data.learners]
names = {l.id: f"{l.username} ({l.name})" for l in data.learners}
if learner_ids:
    if st.session_state.get("drill_learner") not in learner_ids:
        st.session_state["drill_learner"] = learner_ids[0]
    learner_id = st.selectbox("Learner", learner_ids, format_func=names.get, key="drill_learner")
    options = [""] + [e for e, _ in data.exercises]
    if st.session_state.get("drill_exercise") not in options:
        st.session_state["drill_exercise"] = ""
    exercise_id = st.selectbox("Exercise", options, format_func=lambda e: titles.get(e, "all exercises"),
                               key="drill_exercise")
    history = attempts(ctx.sessions, user, learner_id, exercise_id or None, bank=ctx.bank)
    show_attempts(history, ("drill_attempts", "drill_code", "diff_from", "diff_to"))
    hints = hint_uses(ctx.sessions, user, learner_id)
    st.caption(f"Hints revealed: {len(hints)}")
    if hints:
        st.dataframe([{"exercise": titles.get(e, e), "hint": n, "when (UTC)": t.strftime("%Y-%m-%d %H:%M")}
                      for e, n, t in hints], hide_index=True)
