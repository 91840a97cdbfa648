"""ci_analyses, ci_jobs, ci_sightings: failed CI runs, their jobs, and where each failure was seen

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from grimoire.storage.tables import UTCDateTime

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ci_analyses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=100), nullable=True),
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("run_attempt", sa.Integer(), nullable=False),
        sa.Column("workflow", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("conclusion", sa.String(length=20), nullable=True),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("head_branch", sa.String(length=255), nullable=True),
        sa.Column("default_branch", sa.Boolean(), nullable=False),
        sa.Column("pr_number", sa.BigInteger(), nullable=True),
        sa.Column("pull_requests", sa.JSON(), nullable=False),
        sa.Column("installation_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("jobs_failed", sa.Integer(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.Text(), nullable=True),
        sa.Column("report_status", sa.String(length=20), nullable=True),
        sa.Column("report_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_analyses")),
        sa.UniqueConstraint(
            "repository", "source", "run_id", "run_attempt", name="uq_ci_analyses_run"
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        "ix_ci_analyses_pull", "ci_analyses", ["repository", "pr_number", "created_at"]
    )
    op.create_index("ix_ci_analyses_head", "ci_analyses", ["repository", "head_sha"])
    op.create_table(
        "ci_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ci_analysis_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("step", sa.String(length=255), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("log_bytes", sa.BigInteger(), nullable=True),
        sa.Column("head_cut", sa.Boolean(), nullable=False),
        sa.Column("error_type", sa.String(length=255), nullable=True),
        sa.Column("root_cause", sa.Text(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("fingerprint", sa.String(length=40), nullable=True),
        sa.Column("classification", sa.String(length=20), nullable=True),
        sa.Column("other_pulls", sa.Integer(), nullable=False),
        sa.Column("spells", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ci_analysis_id"],
            ["ci_analyses.id"],
            name=op.f("fk_ci_jobs_ci_analysis_id_ci_analyses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_jobs")),
    )
    op.create_index(op.f("ix_ci_jobs_ci_analysis_id"), "ci_jobs", ["ci_analysis_id"])
    op.create_index(op.f("ix_ci_jobs_fingerprint"), "ci_jobs", ["fingerprint"])
    op.create_table(
        "ci_sightings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=40), nullable=False),
        sa.Column("repository", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.BigInteger(), nullable=True),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("default_branch", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("run_attempt", sa.Integer(), nullable=False),
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("job_url", sa.Text(), nullable=True),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ci_sightings")),
        sa.UniqueConstraint(
            "repository",
            "source",
            "run_id",
            "run_attempt",
            "job_name",
            "fingerprint",
            name="uq_ci_sightings_seen",
        ),
    )
    op.create_index("ix_ci_sightings_fingerprint", "ci_sightings", ["fingerprint", "seen_at"])


def downgrade() -> None:
    op.drop_table("ci_sightings")
    op.drop_table("ci_jobs")
    op.drop_table("ci_analyses")
