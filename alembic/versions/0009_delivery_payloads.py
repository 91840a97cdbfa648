"""delivery_payloads: a delivery's raw body moves out of the queue row

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

SQLite rewrites a whole row, overflow pages included, when a column changes size: with the ~24 KB
body in the row, every status change of a job wrote the body again under the write lock. The
column is dropped in place (``ALTER TABLE … DROP COLUMN``: SQLite 3.35 or newer, PostgreSQL), not
by copying the table, which on SQLite would drop and recreate ``deliveries`` and fire the
foreign keys that point at it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DROP_COLUMN = (3, 35, 0)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < SQLITE_DROP_COLUMN:
        raise RuntimeError(
            f"this Python's SQLite is {sqlite3.sqlite_version}; Grimoire needs SQLite 3.35 or "
            "newer (2021) to upgrade its schema"
        )
    op.create_table(
        "delivery_payloads",
        sa.Column("delivery_id", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["delivery_id"], ["deliveries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("delivery_id"),
    )
    # Pruned deliveries kept an empty body: they get no row.
    op.execute(
        "INSERT INTO delivery_payloads (delivery_id, payload) "
        "SELECT id, payload FROM deliveries WHERE length(payload) > 0"
    )
    op.execute("ALTER TABLE deliveries DROP COLUMN payload")


def downgrade() -> None:
    empty = "X''" if op.get_bind().dialect.name == "sqlite" else "''::bytea"
    op.add_column(
        "deliveries",
        sa.Column("payload", sa.LargeBinary(), nullable=False, server_default=sa.text(empty)),
    )
    op.execute(
        "UPDATE deliveries SET payload = (SELECT p.payload FROM delivery_payloads p "
        "WHERE p.delivery_id = deliveries.id) "
        "WHERE id IN (SELECT delivery_id FROM delivery_payloads)"
    )
    op.drop_table("delivery_payloads")
