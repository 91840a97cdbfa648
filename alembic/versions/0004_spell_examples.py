"""spells: examples, counter_examples, generic; spell_changes: the spellbook's revision log

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from grimoire.storage.tables import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite may alter by copying the table: keep its AUTOINCREMENT (ids are never reused).
    with op.batch_alter_table("spells", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("examples", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("counter_examples", sa.JSON(), nullable=False, server_default="[]")
        )
        batch.add_column(
            sa.Column("generic", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "spell_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("spell_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spell_changes")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("spell_changes")
    with op.batch_alter_table("spells", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("generic")
        batch.drop_column("counter_examples")
        batch.drop_column("examples")
