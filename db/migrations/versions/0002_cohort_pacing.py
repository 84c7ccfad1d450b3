"""Cohort pacing and analytics: deadlines, extensions, hint uses, lateness and error classes.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from __future__ import annotations

from typing import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "hint_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("exercise_id", sa.String(length=128), nullable=False),
        sa.Column("hint_index", sa.Integer(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_hint_uses_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hint_uses")),
        sa.UniqueConstraint("user_id", "exercise_id", "hint_index", name=op.f("uq_hint_uses_user_id_exercise_id_hint_index")),
    )
    op.create_table(
        "deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_deadlines_cohort_id_cohorts"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deadlines")),
        sa.UniqueConstraint("cohort_id", "item_id", name=op.f("uq_deadlines_cohort_id_item_id")),
    )
    op.create_table(
        "extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=128), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("granted_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["cohorts.id"], name=op.f("fk_extensions_cohort_id_cohorts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_extensions_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by"], ["users.id"], name=op.f("fk_extensions_granted_by_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extensions")),
        sa.UniqueConstraint("cohort_id", "user_id", "item_id", name=op.f("uq_extensions_cohort_id_user_id_item_id")),
    )
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("late_minutes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("error_class", sa.String(length=32), nullable=True))
    with op.batch_alter_table("test_results") as batch:
        batch.add_column(sa.Column("error_class", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("test_results") as batch:
        batch.drop_column("error_class")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("error_class")
        batch.drop_column("late_minutes")
    op.drop_table("extensions")
    op.drop_table("deadlines")
    op.drop_table("hint_uses")
