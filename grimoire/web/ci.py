"""CI failures over the API: ``GET /api/analyses?kind=ci`` and ``GET /api/fingerprints/{fp}``.

A CI analysis is one failed run attempt with its failed jobs; a fingerprint names one failure
as it recurs across runs, pull requests and the default branch.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.fingerprint import FINGERPRINT_PATTERN
from grimoire.errors import FieldError, ValidationFailed
from grimoire.resources import resources
from grimoire.storage import ci as storage
from grimoire.storage.tables import CiAnalysis, CiJob, CiSighting
from grimoire.web.openapi import ApiRoute, Operation, Reply
from grimoire.web.pagination import Page
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import ErrorBody

KINDS = ("diff", "ci")
MAX_SIGHTINGS = 200
_FINGERPRINT = re.compile(FINGERPRINT_PATTERN)


class CiJobOut(msgspec.Struct, frozen=True, kw_only=True):
    """A failed job: its step and link, its root cause and where else that was seen."""

    name: str
    job_id: int | None
    step: str | None
    url: str | None
    outcome: str
    reason: str | None
    log_bytes: int | None
    head_cut: bool
    error_type: str | None
    root_cause: str | None
    excerpt: str | None
    fingerprint: str | None
    classification: Literal["new", "default_branch", "other_pulls"] | None
    other_pulls: int
    spells: list[dict[str, Any]]
    errors: list[dict[str, Any]]


class CiAnalysisOut(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag="ci"):
    """The analysis of a failed CI run attempt (``kind``: ``ci``), with its failed jobs."""

    id: int
    delivery_id: str | None
    repository: str
    source: Literal["workflow_run", "check_run"]
    run_id: int
    run_attempt: int
    name: str
    url: str | None
    conclusion: str | None
    head_sha: str
    head_branch: str | None
    default_branch: bool
    pr_number: int | None
    pull_requests: list[int]
    status: Literal["processing", "done", "failed"]
    error: str | None
    jobs_failed: int
    findings_count: int
    resolved_at: datetime | None
    resolved_by: str | None
    report_status: str | None
    report_error: str | None
    created_at: datetime
    updated_at: datetime
    jobs: list[CiJobOut]


class SightingOut(msgspec.Struct, frozen=True, kw_only=True):
    """One place a failure was seen."""

    repository: str
    pr_number: int | None
    head_sha: str
    branch: str | None
    default_branch: bool
    source: str
    run_id: int
    run_attempt: int
    job_name: str
    job_url: str | None
    seen_at: datetime


class FingerprintOut(msgspec.Struct, frozen=True, kw_only=True):
    """Where one failure was seen, newest first."""

    fingerprint: str
    seen: int
    on_default_branch: bool
    pull_requests: int
    sightings: list[SightingOut]


async def list_ci_analyses(
    request: Request, page: Page, *, repository: str | None, pr_number: int | None
) -> Response:
    """Answer ``GET /api/analyses?kind=ci``."""
    async with resources(request).readers() as session:
        rows, total = await storage.list_ci_analyses(
            session, skip=page.skip, limit=page.limit, repository=repository, pr_number=pr_number
        )
        body = [ci_analysis_out(row) for row in rows]
    return JSONResponse(body, headers={"X-Total-Count": str(total)})


async def get_fingerprint(request: Request) -> Response:
    fingerprint = request.path_params["fingerprint"]
    if not _FINGERPRINT.match(fingerprint):
        raise ValidationFailed(
            "the fingerprint is malformed",
            errors=[FieldError("path.fingerprint", "must look like v1-0123456789abcdef")],
        )
    async with resources(request).readers() as session:
        rows = await storage.sightings_of(session, fingerprint, limit=MAX_SIGHTINGS)
    sightings = [_sighting(row) for row in rows]
    pulls = {(s.repository, s.pr_number) for s in sightings if s.pr_number is not None}
    return JSONResponse(
        FingerprintOut(
            fingerprint=fingerprint,
            seen=len(sightings),
            on_default_branch=any(s.default_branch for s in sightings),
            pull_requests=len(pulls),
            sightings=sightings,
        )
    )


def ci_analysis_out(row: CiAnalysis) -> CiAnalysisOut:
    """Return the API view of a stored CI analysis (its jobs loaded)."""
    return CiAnalysisOut(
        id=row.id,
        delivery_id=row.delivery_id,
        repository=row.repository,
        source=row.source,  # type: ignore[arg-type]
        run_id=row.run_id,
        run_attempt=row.run_attempt,
        name=row.name,
        url=row.url,
        conclusion=row.conclusion,
        head_sha=row.head_sha,
        head_branch=row.head_branch,
        default_branch=row.default_branch,
        pr_number=row.pr_number,
        pull_requests=list(row.pull_requests),
        status=row.status,  # type: ignore[arg-type]
        error=row.error,
        jobs_failed=row.jobs_failed,
        findings_count=row.findings_count,
        resolved_at=row.resolved_at,
        resolved_by=row.resolved_by,
        report_status=row.report_status,
        report_error=row.report_error,
        created_at=row.created_at,
        updated_at=row.updated_at,
        jobs=[_job(job) for job in row.jobs],
    )


def _job(job: CiJob) -> CiJobOut:
    return CiJobOut(
        name=job.name,
        job_id=job.job_id,
        step=job.step,
        url=job.url,
        outcome=job.outcome,
        reason=job.reason,
        log_bytes=job.log_bytes,
        head_cut=job.head_cut,
        error_type=job.error_type,
        root_cause=job.root_cause,
        excerpt=job.excerpt,
        fingerprint=job.fingerprint,
        classification=job.classification,  # type: ignore[arg-type]
        other_pulls=job.other_pulls,
        spells=list(job.spells),
        errors=list(job.errors),
    )


def _sighting(row: CiSighting) -> SightingOut:
    return SightingOut(
        repository=row.repository,
        pr_number=row.pr_number,
        head_sha=row.head_sha,
        branch=row.branch,
        default_branch=row.default_branch,
        source=row.source,
        run_id=row.run_id,
        run_attempt=row.run_attempt,
        job_name=row.job_name,
        job_url=row.job_url,
        seen_at=row.seen_at,
    )


routes = [
    ApiRoute(
        "/api/fingerprints/{fingerprint}",
        name="fingerprint",
        operations={
            "GET": (
                get_fingerprint,
                Operation(
                    summary="Where one CI failure was seen: runs, pull requests, branches",
                    tag="analyses",
                    responses={
                        200: Reply("The sightings, newest first.", FingerprintOut),
                        422: Reply("The fingerprint is malformed.", ErrorBody),
                    },
                ),
            )
        },
    )
]
