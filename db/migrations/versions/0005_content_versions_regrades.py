"""Regrades without losing history: the content version of each verdict, regrade links, superseded verdicts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24

``submissions`` gains ``content_version`` (the hash of the tests, support files, limits, points
and rules a verdict was graded against; old rows have none), ``regrade_of`` (a regrade's learner
*Submit*) and ``superseded_by`` (the regrade that replaced a verdict); ``exercise_progress``
gains ``best_content_version``, so pages can tell a best score graded against older tests
without reading submissions.

The links are plain integer columns, not declared foreign keys (see ``db.models.Submission``):
on SQLite every change here is an ``ALTER TABLE ... ADD COLUMN``, so the table is never copied
(dropping the old copy of ``submissions`` would cascade-delete every test result). For the same
reason the downgrade drops its columns in place (``recreate="never"``, SQLite 3.35 or later).

The covering index of 0003 gains ``superseded_by``: best scores, first passes and the lead's
failure counts leave superseded verdicts out and still read only the index.
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COVERING = ["user_id", "exercise_id", "mode", "status", "error_class"]
NEW_COVERING = [*OLD_COVERING, "superseded_by"]
NEW_COVERING_NAME = "ix_submissions_user_exercise_mode_status_class_superseded"


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("content_version", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("regrade_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
    with op.batch_alter_table("exercise_progress") as batch:
        batch.add_column(sa.Column("best_content_version", sa.String(length=16), nullable=True))
    op.create_index(op.f("ix_submissions_regrade_of"), "submissions", ["regrade_of"])
    # Create first, then drop: queries keep a covering index throughout.
    op.create_index(op.f(NEW_COVERING_NAME), "submissions", NEW_COVERING)
    op.drop_index(op.f("ix_submissions_user_id_exercise_id_mode_status_error_class"), table_name="submissions")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index(op.f("ix_submissions_user_id_exercise_id_mode_status_error_class"), "submissions", OLD_COVERING)
    op.drop_index(op.f(NEW_COVERING_NAME), table_name="submissions")
    op.drop_index(op.f("ix_submissions_regrade_of"), table_name="submissions")
    with op.batch_alter_table("exercise_progress", recreate="never") as batch:
        batch.drop_column("best_content_version")
    with op.batch_alter_table("submissions", recreate="never") as batch:
        batch.drop_column("superseded_by")
        batch.drop_column("regrade_of")
        batch.drop_column("content_version")
