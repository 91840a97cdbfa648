"""spells: applies_to, the path globs of the files a spell fires on

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # SQLite may alter by copying the table: keep its AUTOINCREMENT (ids are never reused).
    with op.batch_alter_table("spells", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.add_column(sa.Column("applies_to", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("spells", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("applies_to")
