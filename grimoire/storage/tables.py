"""The tables, as typed SQLAlchemy models. Relationships load only when asked (lazy="raise")."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from grimoire.core.diff import ChangeType
from grimoire.core.statuses import AnalysisStatus, DeliveryStatus, ReportStatus

# Stable constraint names, so that migrations can drop what they create on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no timezone type and hands back naive datetimes; this keeps both engines alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Spell(Base):
    """A known error and its proven fix."""

    __tablename__ = "spells"
    # Never reuse a deleted spell's id: past findings still name it.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(255), index=True)
    description: Mapped[str] = mapped_column(Text)
    error_type: Mapped[str] = mapped_column(String(100), index=True)
    error_pattern: Mapped[str] = mapped_column(Text)
    solution_code: Mapped[str] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)
    examples: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    counter_examples: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    generic: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Comma-separated path globs (grimoire.core.paths); empty: the spell fires on every file.
    applies_to: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SpellChange(Base):
    """The spellbook's change log: one row per created, updated or deleted spell.

    Its newest id is the spellbook's revision. A process that compiled the spellbook at revision
    N patches in just the spells changed after N, so every process sharing the database ranks
    against the same spellbook without recompiling all of it on every request.
    """

    __tablename__ = "spell_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(primary_key=True)
    spell_id: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Delivery(Base):
    """One authenticated webhook delivery, and the job queue entry it becomes.

    status: queued → processing → done | failed (retried with backoff until then); ignored for
    events Grimoire does not analyse. A ``processing`` row whose lease has expired belongs to a
    worker that died, and is claimed again.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        # "Is a job of this pull request processing?", asked for every due job (deliveries._due).
        Index("ix_deliveries_in_flight", "status", "repository", "pr_number"),
        Index("ix_deliveries_pull", "repository", "pr_number"),
        Index("ix_deliveries_received_at", "received_at"),
    )

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    event: Mapped[str] = mapped_column(String(100))
    action: Mapped[str | None] = mapped_column(String(100))
    repository: Mapped[str | None] = mapped_column(String(255))
    pr_number: Mapped[int | None] = mapped_column(BigInteger)
    head_sha: Mapped[str | None] = mapped_column(String(64))
    base_sha: Mapped[str | None] = mapped_column(String(64))
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    sender: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[DeliveryStatus] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DeliveryPayload(Base):
    """A delivery's raw body (about 24 KB), read once to run its job.

    Kept apart from the queue row: SQLite rewrites a whole row, overflow pages included, whenever
    a column changes size, so every status change of a row holding its body (claim, done,
    coalesced) wrote ~24 KB under the write lock. Coalescing a one-PR burst of 6,000 deliveries
    held intake's lock for half a second. The queue's rows are now small; the body is written
    once, and deleted by ``grimoire prune``.
    """

    __tablename__ = "delivery_payloads"

    delivery_id: Mapped[str] = mapped_column(
        String(100), ForeignKey("deliveries.id", ondelete="CASCADE"), primary_key=True
    )
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class Analysis(Base):
    """The analysis of one pull request head: one per (repository, PR number, head SHA)."""

    __tablename__ = "analyses"
    __table_args__ = (
        UniqueConstraint("repository", "pr_number", "head_sha", name="uq_analyses_head"),
        Index("ix_analyses_pull", "repository", "pr_number", "created_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str | None] = mapped_column(
        String(100), ForeignKey("deliveries.id", ondelete="SET NULL")
    )
    repository: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(BigInteger)
    head_sha: Mapped[str] = mapped_column(String(64))
    base_sha: Mapped[str | None] = mapped_column(String(64))
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[AnalysisStatus] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(20))
    files_changed: Mapped[int] = mapped_column(Integer, default=0)
    additions: Mapped[int] = mapped_column(Integer, default=0)
    deletions: Mapped[int] = mapped_column(Integer, default=0)
    findings_count: Mapped[int] = mapped_column(Integer, default=0)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    report_status: Mapped[ReportStatus | None] = mapped_column(String(20))
    report_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    files: Mapped[list[AnalysisFile]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="AnalysisFile.position",
    )
    findings: Mapped[list[Finding]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Finding.rank",
    )


class AnalysisFile(Base):
    """One file a pull request head changes."""

    __tablename__ = "analysis_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    old_path: Mapped[str | None] = mapped_column(Text)
    change_type: Mapped[ChangeType] = mapped_column(String(20))
    binary: Mapped[bool] = mapped_column(Boolean)
    old_mode: Mapped[str | None] = mapped_column(String(10))
    new_mode: Mapped[str | None] = mapped_column(String(10))
    additions: Mapped[int] = mapped_column(Integer)
    deletions: Mapped[int] = mapped_column(Integer)


class Finding(Base):
    """One error found in a pull request head, and the spell that best explains it.

    The spell's title and solution are copied in, so a finding stays readable after its spell is
    edited or deleted (``spell_id`` is a plain number, not a foreign key, for the same reason).
    ``rank`` orders the findings of one analysis, most relevant first.
    """

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[int] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(Text)
    line: Mapped[int | None] = mapped_column(Integer)
    error_type: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text)
    excerpt: Mapped[str] = mapped_column(Text)
    stack_trace: Mapped[str | None] = mapped_column(Text)
    spell_id: Mapped[int | None] = mapped_column(Integer)
    spell_title: Mapped[str | None] = mapped_column(String(255))
    spell_solution: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    why: Mapped[str | None] = mapped_column(Text)


def without_nul(text: str | None) -> str | None:
    """Replace NUL characters, which PostgreSQL text columns cannot hold, with U+FFFD."""
    return None if text is None else text.replace("\x00", "\ufffd")


class PullReport(Base):
    """What Grimoire last told one pull request: its sticky comment and the delivery behind it.

    ``delivered_at`` is when GitHub delivered the event last reported. A job for an older push must
    not overwrite the newer report: the push order is the ``updated_at`` each delivery's signed
    body states (``channels.comment``), and ``delivered_at`` stands in once that body is pruned.
    """

    __tablename__ = "pull_reports"
    __table_args__ = (UniqueConstraint("repository", "pr_number", name="uq_pull_reports_pull"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    repository: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int] = mapped_column(BigInteger)
    comment_id: Mapped[int | None] = mapped_column(BigInteger)
    head_sha: Mapped[str] = mapped_column(String(64))
    delivery_id: Mapped[str | None] = mapped_column(String(100))
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    findings_count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckRunReport(Base):
    """The check run reporting one analysis, and how far its completion got.

    Annotations go 50 per request and GitHub appends them, so ``annotations_sent`` lets a retried
    job resume instead of sending the first batches twice. ``delivery_id`` ties the run to the
    delivery that created it: a later delivery for the same head gets a fresh run.
    """

    __tablename__ = "check_run_reports"

    analysis_id: Mapped[int] = mapped_column(
        ForeignKey("analyses.id", ondelete="CASCADE"), primary_key=True
    )
    check_run_id: Mapped[int] = mapped_column(BigInteger)
    delivery_id: Mapped[str | None] = mapped_column(String(100))
    head_sha: Mapped[str] = mapped_column(String(64))
    annotations_sent: Mapped[int] = mapped_column(Integer, default=0)
    conclusion: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FindingFeedback(Base):
    """A reader's verdict on one finding: was the spell it named helpful, or wrong?

    The finding is named by its analysis and rank (findings are rewritten when a head is analysed
    again, but an analysis keeps its id); ``spell_id`` is copied in when the vote is cast, so the
    counts per spell stay right after the finding is rewritten or the spell edited.
    """

    __tablename__ = "finding_feedback"
    __table_args__ = (
        Index("ix_finding_feedback_spell", "spell_id", "verdict"),
        Index("ix_finding_feedback_finding", "analysis_id", "finding_rank"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analyses.id", ondelete="CASCADE"))
    finding_rank: Mapped[int] = mapped_column(Integer)
    spell_id: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CiAnalysis(Base):
    """The analysis of one failed CI run attempt: one per (repository, source, run, attempt).

    ``source`` is ``workflow_run`` (GitHub Actions) or ``check_run`` (another CI app);
    ``workflow`` what a later success must match to resolve it. ``pr_number`` is the first pull
    request the run belongs to (``pull_requests`` all of them), None for a default-branch run.
    """

    __tablename__ = "ci_analyses"
    __table_args__ = (
        UniqueConstraint(
            "repository", "source", "run_id", "run_attempt", name="uq_ci_analyses_run"
        ),
        Index("ix_ci_analyses_pull", "repository", "pr_number", "created_at"),
        Index("ix_ci_analyses_head", "repository", "head_sha"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str | None] = mapped_column(String(100))
    repository: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int] = mapped_column(BigInteger)
    run_attempt: Mapped[int] = mapped_column(Integer)
    workflow: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    conclusion: Mapped[str | None] = mapped_column(String(20))
    head_sha: Mapped[str] = mapped_column(String(64))
    head_branch: Mapped[str | None] = mapped_column(String(255))
    default_branch: Mapped[bool] = mapped_column(Boolean, default=False)
    pr_number: Mapped[int | None] = mapped_column(BigInteger)
    pull_requests: Mapped[list[int]] = mapped_column(JSON, default=list)
    installation_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)
    jobs_failed: Mapped[int] = mapped_column(Integer, default=0)
    findings_count: Mapped[int] = mapped_column(Integer, default=0)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(Text)
    report_status: Mapped[str | None] = mapped_column(String(20))
    report_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    jobs: Mapped[list[CiJob]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CiJob.position",
    )


class CiJob(Base):
    """One failed job of a CI run: where it failed, its root cause, the spells that explain it.

    ``outcome`` says how far reading it got (``analysed``, ``log_expired``, ``log_missing``…),
    ``reason`` why not further. ``spells`` are the ranked spells of the root cause (id, title,
    score, why, solution), ``errors`` the other errors of the step (type, message, fingerprint).
    """

    __tablename__ = "ci_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ci_analysis_id: Mapped[int] = mapped_column(
        ForeignKey("ci_analyses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(255))
    step: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)
    log_bytes: Mapped[int | None] = mapped_column(BigInteger)
    head_cut: Mapped[bool] = mapped_column(Boolean, default=False)
    error_type: Mapped[str | None] = mapped_column(String(255))
    root_cause: Mapped[str | None] = mapped_column(Text)
    excerpt: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(40), index=True)
    classification: Mapped[str | None] = mapped_column(String(20))
    other_pulls: Mapped[int] = mapped_column(Integer, default=0)
    spells: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class CiSighting(Base):
    """One failure seen: a fingerprint, in which run and job, on which branch or pull request.

    What classifies a pull request's failure: seen on the default branch (not its fault), in
    other pull requests this week (flaky or infrastructure), or only here (new).
    """

    __tablename__ = "ci_sightings"
    __table_args__ = (
        UniqueConstraint(
            "repository",
            "source",
            "run_id",
            "run_attempt",
            "job_name",
            "fingerprint",
            name="uq_ci_sightings_seen",
        ),
        Index("ix_ci_sightings_fingerprint", "fingerprint", "seen_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(40))
    repository: Mapped[str] = mapped_column(String(255))
    pr_number: Mapped[int | None] = mapped_column(BigInteger)
    head_sha: Mapped[str] = mapped_column(String(64))
    branch: Mapped[str | None] = mapped_column(String(255))
    default_branch: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(20))
    run_id: Mapped[int] = mapped_column(BigInteger)
    run_attempt: Mapped[int] = mapped_column(Integer)
    job_name: Mapped[str] = mapped_column(String(255))
    job_url: Mapped[str | None] = mapped_column(Text)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
