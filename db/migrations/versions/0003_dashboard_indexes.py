"""Covering index for the lead's dashboard: submissions (user_id, exercise_id, mode, status, error_class).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

It replaces ``ix_submissions_user_id_exercise_id``, its leftmost prefix, so every query
that index served is still served, and there is still one index to maintain per insert.
The dashboard's per-exercise queries over a cohort ("which hidden tests fail", "why do
submits fail") then read only the index, never the wide submission rows (code, output).
On 600,000 submissions (``bench/dashboard.py --before 0002``, 2 cores) the error-class count
of one exercise drops from ~20 ms to ~2 ms, its failing hidden tests from ~55 ms to ~27 ms,
and the whole dashboard from ~0.77 s to ~0.57 s.
"""
from __future__ import annotations

from typing import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ["user_id", "exercise_id", "mode", "status", "error_class"]


def upgrade() -> None:
    """Apply this revision."""
    # Create first, then drop: queries keep an index on (user_id, exercise_id) throughout.
    op.create_index(op.f("ix_submissions_user_id_exercise_id_mode_status_error_class"), "submissions", COLUMNS)
    op.drop_index(op.f("ix_submissions_user_id_exercise_id"), table_name="submissions")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index(op.f("ix_submissions_user_id_exercise_id"), "submissions", ["user_id", "exercise_id"])
    op.drop_index(op.f("ix_submissions_user_id_exercise_id_mode_status_error_class"), table_name="submissions")
