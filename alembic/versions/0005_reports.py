"""pull_reports, check_run_reports: what Grimoire reported on each pull request and head

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from grimoire.storage.tables import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pull_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.BigInteger(), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("delivery_id", sa.String(length=100), nullable=True),
        sa.Column("delivered_at", UTCDateTime(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pull_reports")),
        sa.UniqueConstraint("repository", "pr_number", name="uq_pull_reports_pull"),
    )
    op.create_table(
        "check_run_reports",
        sa.Column("analysis_id", sa.Integer(), nullable=False),
        sa.Column("check_run_id", sa.BigInteger(), nullable=False),
        sa.Column("delivery_id", sa.String(length=100), nullable=True),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("annotations_sent", sa.Integer(), nullable=False),
        sa.Column("conclusion", sa.String(length=20), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["analysis_id"],
            ["analyses.id"],
            name=op.f("fk_check_run_reports_analysis_id_analyses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("analysis_id", name=op.f("pk_check_run_reports")),
    )


def downgrade() -> None:
    op.drop_table("check_run_reports")
    op.drop_table("pull_reports")
