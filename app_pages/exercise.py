"""An exercise: prompt and hints, a code editor with autosaved drafts, Run / Submit, the verdict."""
from datetime import datetime, timezone

import streamlit as st

from portal.exercise import (VERDICT_WAIT_AFTER_CLICK_S, SubmitError, attempts, earned_solution, hints_revealed,
                             latest_submission, load_code, prompt_body, reveal_hint, save_code)
from portal.leaderboard import cohort_leaderboard, member_cohorts
from portal.navigation import referenced_items, render_references
from portal.pacing import exercise_lock
from portal.regrade import STALE_LABEL, current_version, regrade_notice, stale_standings
from ui.code_editor import code_editor
from ui.corpus import corpus_panel
from ui.leaderboard import render_leaderboard
from ui.navigation import neighbour_links, place_caption, track_of
from ui.own_text import own_text_panel
from ui.session import get_context, pick_from_query, require_user
from ui.verdict import render_verdict

ctx = get_context()
user = require_user()
spec = ctx.bank.exercises[pick_from_query(ctx.bank.exercises, "exercise", lambda item: item.title)]
SUB_KEY, SAVED_KEY = f"submission:{spec.id}", f"saved:{spec.id}"
# The editor component (ui/code_editor.py) and the id of the last Run / Submit click the page acted on.
EDITOR_KEY, HANDLED_KEY = f"editor:{spec.id}", f"editor_handled:{spec.id}"
# Tests (AppTest) cannot type into the editor component; they put the code here instead (or set the
# component's value in st.session_state[EDITOR_KEY], as the browser would).
SEAM_KEY = f"code_seam:{spec.id}"
# Phones: the editor column comes first (the prompt follows it), so the code is where the page opens.
NARROW_SCREEN_CSS = """<style>
@media (max-width: 640px) {
  [data-testid="stColumn"]:has(.st-key-exercise_editor) { order: -1; }
}
</style>"""

st.title(spec.title)
st.caption(f"{spec.difficulty} · {spec.points} points · runs on {spec.device}")
# Where the exercise sits in the learner's track: previous / next, its lesson (ui/navigation.py).
track_id = track_of(ctx, user, "exercise", spec.id)
neighbour_links(place_caption(ctx, track_id, "exercise", spec.id), "exercise",
                referenced_items(ctx.bank, spec.prompt))
# Pacing (portal/pacing.py): say so at the top; Run and Submit are disabled (the grading service refuses too).
today = datetime.now(timezone.utc).date()
with ctx.sessions() as pacing_session:
    lock = exercise_lock(pacing_session, ctx.bank, user.id, spec.id, today)
lock_text = None
if lock is not None:
    lock_text = f"{lock.label(today)}: Run and Submit open then."
    st.warning(f"**{lock.label(today)}** for {lock.cohort_name} ({lock.module_title}). You can read it and "
               "write code now; Run and Submit open then.", icon="🔒")
st.html(NARROW_SCREEN_CSS)
prompt_col, editor_col = st.columns([5, 6], gap="large")

with prompt_col:
    st.markdown(render_references(prompt_body(spec), ctx.bank, track_id))
    if "tinyshakespeare" in spec.datasets:
        corpus_panel(ctx.settings)
    if spec.hints:
        shown = hints_revealed(ctx.sessions, user.id, spec.id)
        for i, hint in enumerate(spec.hints[:shown], start=1):
            st.info(f"**Hint {i}.** {hint}")
        if shown < len(spec.hints) and st.button(f"Show hint {shown + 1} of {len(spec.hints)}", key="hint"):
            reveal_hint(ctx.sessions, user.id, spec)
            st.rerun()
    solution = earned_solution(ctx.sessions, user.id, spec)
    if solution:
        with st.expander("Reference solution (you have passed this exercise)"):
            st.code(solution, language="python")
    if spec.leaderboard is not None:
        for board_cohort, board_cohort_name in member_cohorts(ctx.sessions, user).items():
            with st.expander(f"Leaderboard of {board_cohort_name}"):
                render_leaderboard(cohort_leaderboard(ctx.sessions, ctx.bank, user, board_cohort, spec.id), user.id)

with editor_col, st.container(key="exercise_editor"):
    if SAVED_KEY not in st.session_state:
        st.session_state[SAVED_KEY] = load_code(ctx.sessions, user.id, spec)
    # Run and Submit are inside the editor: a click sends the text the editor shows at that moment.
    event = code_editor(st.session_state[SAVED_KEY], key=EDITOR_KEY, doc_key=spec.id,
                        handled=st.session_state.get(HANDLED_KEY), locked=lock_text)
    action = event.action
    code = action.code if action is not None else event.code
    if st.session_state.get(SEAM_KEY) is not None:
        code = st.session_state[SEAM_KEY]
    if code is not None and code != st.session_state[SAVED_KEY]:
        if save_code(ctx.sessions, user.id, spec.id, code, ctx.settings.max_code_bytes):
            st.session_state[SAVED_KEY] = code
    if action is not None:
        st.session_state[HANDLED_KEY] = action.id  # each click is graded once, however often it is resent
        try:
            receipt = ctx.grading.submit(user_id=user.id, exercise_id=spec.id, code=action.code, mode=action.kind)
            st.session_state[SUB_KEY] = receipt.submission_id
            ctx.grading.await_final(user_id=user.id, submission_id=receipt.submission_id,
                                    timeout_s=VERDICT_WAIT_AFTER_CLICK_S)
        except SubmitError as exc:
            st.error(str(exc))
    if code is None:
        code = st.session_state[SAVED_KEY]
    if spec.playground is not None:
        started = own_text_panel(ctx.grading, user.id, spec, code or "", locked=lock is not None)
        if started is not None:
            st.session_state[SUB_KEY] = started

    # After an admin's regrade: say what changed and show the new verdict (portal/regrade.py).
    notice = regrade_notice(ctx.sessions, ctx.bank, user.id, spec.id)
    if notice is not None:
        (st.warning if notice.changed else st.info)(notice.message, icon="🔁")
        st.session_state.setdefault(SUB_KEY, notice.submission_id)
    if (user.id, spec.id) in stale_standings(ctx.sessions, ctx.bank, [user.id], [spec.id]):
        st.warning(f"Your best score was {STALE_LABEL}: the tests have changed since. "
                   "Submit again to be graded against the current ones.", icon="🕰️")
    if SUB_KEY not in st.session_state:  # a reload or a new session: the latest verdict, from the database
        latest = latest_submission(ctx.sessions, user.id, spec.id)
        if latest is not None:
            st.session_state[SUB_KEY] = latest
    submission_id = st.session_state.get(SUB_KEY)

    @st.fragment(run_every=0.4)
    def poll_verdict() -> None:
        """Redraws until the verdict is final, then reruns the page once to refresh the ticks."""
        view = ctx.grading.verdict(user_id=user.id, submission_id=submission_id)
        if view is None:
            return
        live = [] if view.final else ctx.grading.live_charts(user_id=user.id, submission_id=submission_id)
        render_verdict(view, live)
        if view.final:
            st.rerun()

    if submission_id is not None:
        view = ctx.grading.verdict(user_id=user.id, submission_id=submission_id)
        if view is not None and view.final:
            render_verdict(view)
        elif view is not None:
            poll_verdict()

    history = attempts(ctx.sessions, user.id, spec.id, current_version=current_version(spec))
    if history:
        with st.expander(f"Your attempts ({len(history)})"):
            st.dataframe([vars(a) for a in history], hide_index=True, width="stretch")
