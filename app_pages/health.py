"""Admin: the grading system's health (queue depth, workers, verdict latency, failures), refreshed every few seconds."""
import streamlit as st

from portal.access import AccessDenied, require_admin
from portal.health import WINDOW, admin_health
from ui.session import get_context, require_user

REFRESH_S = 10

ctx = get_context()
user = require_user()
try:
    require_admin(user)
except AccessDenied:
    st.error("Only an admin can open this page.")
    st.stop()


def seconds(value: float | None) -> str:
    """A duration for a metric tile: '—' when there is none."""
    if value is None:
        return "—"
    return f"{value:.1f} s" if value < 120 else f"{value / 60:.1f} min"


st.title("Grading health")


@st.fragment(run_every=REFRESH_S)
def snapshot_view() -> None:
    """Redrawn every REFRESH_S seconds from a fresh snapshot."""
    snap = admin_health(ctx.sessions, user, ctx.backend)
    st.caption(f"As of {snap.taken_at:%H:%M:%S} UTC; latency and failures over the last "
               f"{WINDOW.total_seconds() / 60:.0f} minutes. Refreshes every {REFRESH_S} s.")
    st.subheader("Queues")
    columns = st.columns(len(snap.queues) + 1)
    for column, depth in zip(columns, snap.queues.values()):
        workers, slots = snap.workers_for(depth.queue)
        column.metric(f"{depth.queue} queue", f"{depth.queued} queued", f"{depth.running} running",
                      delta_color="off")
        column.caption(f"oldest waiting {seconds(depth.oldest_queued_s)} · {workers} worker(s), {slots} slot(s)")
    columns[-1].metric("Longest wait", seconds(snap.oldest_queued_s))

    st.subheader("Workers alive")
    if snap.workers:
        st.dataframe([{"worker": w.name, "queues": ", ".join(w.queues), "slots": w.slots, "GPU": w.has_gpu}
                      for w in snap.workers], hide_index=True, key="health_workers")
    else:
        st.error("No grading worker is alive: submissions wait in the queue until one starts.")

    st.subheader("Verdict latency (submit to verdict)")
    if snap.latency:
        st.dataframe([{"queue": l.queue, "verdicts": l.count, "p50 (s)": round(l.p50_s, 2),
                       "p95 (s)": round(l.p95_s, 2)} for l in snap.latency.values()],
                     hide_index=True, key="health_latency")
    else:
        st.caption("Nothing was graded in the last hour.")

    st.subheader("Failures by reason")
    st.caption(f"{snap.errors} submission(s) ended in error (not judged) in the last hour.")
    if snap.failures:
        st.dataframe([{"reason": reason, "submissions": count} for reason, count in snap.failures.items()],
                     hide_index=True, key="health_failures")


snapshot_view()
