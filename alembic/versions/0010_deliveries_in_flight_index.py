"""deliveries: an index for "is a job of this pull request in flight?"

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

A job is due only while no other job of its pull request is processing. SQLite answered that
with the (repository, pr_number) index, walking every delivery of the pull request for each
due one: after a burst of 25,000 deliveries for one pull request, with none processing yet,
finding the next job took 138 s (quadratic). With (status, repository, pr_number) each check
reads the pull request's processing rows only: 0.02 s.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_deliveries_in_flight", "deliveries", ["status", "repository", "pr_number"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_in_flight", table_name="deliveries")
