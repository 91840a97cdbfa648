"""finding_feedback: readers' "helpful" / "wrong" verdicts on findings

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from grimoire.storage.tables import UTCDateTime

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "finding_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "analysis_id",
            sa.Integer(),
            sa.ForeignKey(
                "analyses.id",
                ondelete="CASCADE",
                name="fk_finding_feedback_analysis_id_analyses",
            ),
            nullable=False,
        ),
        sa.Column("finding_rank", sa.Integer(), nullable=False),
        sa.Column("spell_id", sa.Integer(), nullable=True),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_finding_feedback"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_finding_feedback_spell", "finding_feedback", ["spell_id", "verdict"])
    op.create_index(
        "ix_finding_feedback_finding", "finding_feedback", ["analysis_id", "finding_rank"]
    )


def downgrade() -> None:
    op.drop_index("ix_finding_feedback_finding", table_name="finding_feedback")
    op.drop_index("ix_finding_feedback_spell", table_name="finding_feedback")
    op.drop_table("finding_feedback")
