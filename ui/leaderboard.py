"""Drawing a cohort leaderboard: one table per profile, with a caption saying how it ranks."""
from __future__ import annotations

import streamlit as st

from portal.leaderboard import CohortLeaderboard, board_table, describe


def render_leaderboard(data: CohortLeaderboard, viewer_id: int | None = None) -> None:
    """Every board of ``data``; the viewer's own row is marked "(you)"."""
    st.caption(describe(data.spec))
    if not data.boards:
        st.caption("No judged Submit has published a result yet.")
        return
    for board in data.boards:
        if board.profile:
            st.markdown(f"**{board.profile}**")
        st.dataframe(board_table(board, data.spec, viewer_id), hide_index=True,
                     key=f"leaderboard:{data.cohort_id}:{data.exercise_id}:{board.profile}")
