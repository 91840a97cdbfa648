"""Stored findings read across analyses (the dry run of a spell edit reads them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from grimoire.core.dryrun import StoredFinding
from grimoire.storage.tables import Analysis, Finding


async def recent_findings(session: AsyncSession, *, limit: int) -> list[StoredFinding]:
    """Return the ``limit`` newest findings (newest analysis first), as the dry run reads them."""
    rows = await session.execute(
        select(Finding, Analysis.repository, Analysis.pr_number)
        .join(Analysis, Analysis.id == Finding.analysis_id)
        .order_by(Analysis.created_at.desc(), Analysis.id.desc(), Finding.rank)
        .limit(limit)
    )
    return [
        StoredFinding(
            analysis_id=finding.analysis_id,
            rank=finding.rank,
            repository=repository,
            pr_number=pr_number,
            path=finding.path,
            line=finding.line,
            error_type=finding.error_type,
            message=finding.message,
            excerpt=finding.excerpt,
            stack_trace=finding.stack_trace or "",
        )
        for finding, repository, pr_number in rows
    ]
