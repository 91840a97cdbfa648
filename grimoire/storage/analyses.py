"""The analyses table and its files and findings: one analysis per (repository, PR, head SHA)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from grimoire.core.diff import FileChange
from grimoire.core.findings import Finding as FindingValue
from grimoire.core.statuses import ReportStatus
from grimoire.errors import AnalysisNotFound
from grimoire.storage.spells import MAX_ID
from grimoire.storage.tables import Analysis, AnalysisFile, Base, Finding, without_nul

PROCESSING: Final = "processing"
DONE: Final = "done"
FAILED: Final = "failed"


async def start_analysis(
    session: AsyncSession,
    *,
    repository: str,
    pr_number: int,
    head_sha: str,
    base_sha: str | None,
    installation_id: int | None,
    delivery_id: str,
    now: datetime,
) -> int:
    """Mark the analysis of this head as processing, its report pending, creating it the first
    time; return its id.

    A redelivery, or a second event for the same head, reuses the analysis instead of adding one.
    """
    analysis = await session.scalar(
        select(Analysis).where(
            Analysis.repository == repository,
            Analysis.pr_number == pr_number,
            Analysis.head_sha == head_sha,
        )
    )
    if analysis is None:
        analysis = Analysis(
            repository=repository,
            pr_number=pr_number,
            head_sha=head_sha,
            created_at=now,
            files_changed=0,
            additions=0,
            deletions=0,
            findings_count=0,
        )
        session.add(analysis)
    analysis.base_sha = base_sha
    analysis.installation_id = installation_id
    analysis.delivery_id = delivery_id
    analysis.status = PROCESSING
    analysis.error = None
    # Set here, not by a second transaction of the reporting: one write lock fewer per job.
    analysis.report_status = "pending"
    analysis.report_error = None
    analysis.started_at = now
    analysis.finished_at = None
    analysis.updated_at = now
    await session.flush()
    return analysis.id


_FILES = Base.metadata.tables[AnalysisFile.__tablename__]
_FINDINGS = Base.metadata.tables[Finding.__tablename__]


async def save_results(
    session: AsyncSession,
    analysis_id: int,
    *,
    files: Sequence[FileChange],
    findings: Sequence[FindingValue],
    problems: Sequence[str],
    source: str,
    now: datetime,
) -> None:
    """Store what an analysis found, replacing any earlier result for the same head."""
    analysis = await _get(session, analysis_id)
    await session.execute(delete(AnalysisFile).where(AnalysisFile.analysis_id == analysis_id))
    await session.execute(delete(Finding).where(Finding.analysis_id == analysis_id))
    # Core inserts (executemany) rather than ORM bulk inserts: a 300-file PR with 200 findings
    # stored in ~8 ms instead of ~46 ms, and no ORM objects are needed afterwards.
    if files:
        await session.execute(insert(_FILES), _file_rows(analysis_id, files))
    if findings:
        await session.execute(insert(_FINDINGS), _finding_rows(analysis_id, findings))
    analysis.status = DONE
    analysis.error = without_nul("\n".join(problems)) or None
    analysis.source = source
    analysis.files_changed = len(files)
    analysis.additions = sum(file.additions for file in files)
    analysis.deletions = sum(file.deletions for file in files)
    analysis.findings_count = len(findings)
    _finish(analysis, now)


async def fail_analysis(
    session: AsyncSession, analysis_id: int, *, error: str, now: datetime
) -> None:
    """Record why an analysis failed (a retry sets it back to processing)."""
    analysis = await _get(session, analysis_id)
    analysis.status = FAILED
    analysis.error = error
    _finish(analysis, now)


async def set_report_status(
    session: AsyncSession,
    analysis_id: int,
    *,
    status: ReportStatus,
    error: str | None,
    now: datetime,
) -> None:
    """Record how reporting the analysis to GitHub went."""
    analysis = await _get(session, analysis_id)
    analysis.report_status = status
    analysis.report_error = error
    analysis.updated_at = now


async def get_analysis(session: AsyncSession, analysis_id: int) -> Analysis:
    """Return one analysis with its files and findings, or raise ``AnalysisNotFound``."""
    analysis = (
        await session.scalar(
            select(Analysis)
            .where(Analysis.id == analysis_id)
            .options(selectinload(Analysis.files), selectinload(Analysis.findings))
        )
        if 0 < analysis_id <= MAX_ID
        else None
    )
    if analysis is None:
        raise AnalysisNotFound(analysis_id)
    return analysis


async def head_findings(
    session: AsyncSession, *, repository: str, pr_number: int, head_sha: str
) -> tuple[int | None, list[FindingValue]]:
    """Return the id and findings of the diff analysis of a pull request head, if it is done."""
    analysis = await session.scalar(
        select(Analysis)
        .where(
            Analysis.repository == repository,
            Analysis.pr_number == pr_number,
            Analysis.head_sha == head_sha,
        )
        .options(selectinload(Analysis.findings))
    )
    if analysis is None:
        return None, []
    if analysis.status != DONE:
        return analysis.id, []
    return analysis.id, _finding_values(analysis)


async def unreported_findings(
    session: AsyncSession, *, repository: str, pr_number: int, head_sha: str
) -> tuple[int, list[FindingValue], str | None] | None:
    """Return the id, findings and problems of a head's saved analysis whose report failed.

    ``None`` unless the analysis is done and its report is ``retrying`` or ``failed``: then a
    retry only has to report again, not read and analyse the diff again.
    """
    analysis = await session.scalar(
        select(Analysis)
        .where(
            Analysis.repository == repository,
            Analysis.pr_number == pr_number,
            Analysis.head_sha == head_sha,
            Analysis.status == DONE,
            Analysis.report_status.in_(("retrying", "failed")),
        )
        .options(selectinload(Analysis.findings))
    )
    if analysis is None:
        return None
    return analysis.id, _finding_values(analysis), analysis.error


def _finding_values(analysis: Analysis) -> list[FindingValue]:
    return [
        FindingValue(
            rank=row.rank,
            path=row.path,
            line=row.line,
            error_type=row.error_type,
            message=row.message,
            excerpt=row.excerpt,
            stack_trace=row.stack_trace or "",
            spell_id=row.spell_id,
            spell_title=row.spell_title,
            spell_solution=row.spell_solution,
            score=row.score,
            why=row.why,
        )
        for row in analysis.findings
    ]


async def list_analyses(
    session: AsyncSession,
    *,
    skip: int,
    limit: int,
    repository: str | None = None,
    pr_number: int | None = None,
) -> tuple[Sequence[Analysis], int]:
    """Return one page of analyses, newest first, and how many match in all."""
    conditions = []
    if repository is not None:
        conditions.append(Analysis.repository == repository)
    if pr_number is not None:
        conditions.append(Analysis.pr_number == pr_number)
    total = await session.scalar(select(func.count()).select_from(Analysis).where(*conditions))
    page = await session.scalars(
        select(Analysis)
        .where(*conditions)
        .order_by(Analysis.created_at.desc(), Analysis.id.desc())
        .offset(skip)
        .limit(limit)
    )
    return page.all(), total or 0


async def _get(session: AsyncSession, analysis_id: int) -> Analysis:
    analysis = await session.get(Analysis, analysis_id)
    if analysis is None:
        raise AnalysisNotFound(analysis_id)
    return analysis


def _finish(analysis: Analysis, now: datetime) -> None:
    analysis.finished_at = now
    analysis.updated_at = now
    if analysis.started_at is not None:
        analysis.duration_ms = int((now - analysis.started_at).total_seconds() * 1000)


def _file_rows(analysis_id: int, files: Sequence[FileChange]) -> list[dict[str, object]]:
    return [
        {
            "analysis_id": analysis_id,
            "position": position,
            "path": without_nul(file.path),
            "old_path": without_nul(file.old_path),
            "change_type": file.change_type,
            "binary": file.binary,
            "old_mode": file.old_mode,
            "new_mode": file.new_mode,
            "additions": file.additions,
            "deletions": file.deletions,
        }
        for position, file in enumerate(files)
    ]


def _finding_rows(analysis_id: int, findings: Sequence[FindingValue]) -> list[dict[str, object]]:
    return [
        {
            "analysis_id": analysis_id,
            "rank": finding.rank,
            "path": without_nul(finding.path),
            "line": finding.line,
            "error_type": without_nul(finding.error_type[:255]),
            "message": without_nul(finding.message),
            "excerpt": without_nul(finding.excerpt),
            "stack_trace": without_nul(finding.stack_trace) or None,
            "spell_id": finding.spell_id,
            "spell_title": without_nul(finding.spell_title),
            "spell_solution": without_nul(finding.spell_solution),
            "score": finding.score,
            "why": without_nul(finding.why),
        }
        for finding in findings
    ]
