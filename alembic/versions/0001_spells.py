"""spells: the spellbook

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from grimoire.storage.tables import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spells",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("error_type", sa.String(length=100), nullable=False),
        sa.Column("error_pattern", sa.Text(), nullable=False),
        sa.Column("solution_code", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spells")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_spells_title"), "spells", ["title"])
    op.create_index(op.f("ix_spells_error_type"), "spells", ["error_type"])


def downgrade() -> None:
    op.drop_index(op.f("ix_spells_error_type"), table_name="spells")
    op.drop_index(op.f("ix_spells_title"), table_name="spells")
    op.drop_table("spells")
