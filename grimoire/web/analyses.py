"""/api/analyses: what each analysed pull-request head was found to contain."""

from __future__ import annotations

from datetime import datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.diff import ChangeType
from grimoire.core.statuses import AnalysisStatus
from grimoire.errors import FieldError
from grimoire.resources import resources
from grimoire.storage import analyses as storage
from grimoire.storage.tables import Analysis, AnalysisFile, Finding
from grimoire.web.ci import KINDS, CiAnalysisOut, list_ci_analyses
from grimoire.web.openapi import ApiRoute, Operation, Param, Reply
from grimoire.web.pagination import (
    MAX_SKIP,
    PAGE_PARAMS,
    TEXT_SCHEMA,
    parse_page,
    query_int,
    query_text,
    raise_if_any,
)
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import ErrorBody


class AnalysisSummary(msgspec.Struct, frozen=True, kw_only=True, tag_field="kind", tag="diff"):
    """An analysis of a pull request head's diff, as listed (``kind``: ``diff``)."""

    id: int
    delivery_id: str | None
    repository: str
    pr_number: int
    head_sha: str
    base_sha: str | None
    status: AnalysisStatus
    error: str | None
    source: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_ms: int | None
    files_changed: int
    additions: int
    deletions: int
    findings_count: int
    report_status: str | None
    report_error: str | None


class FileOut(msgspec.Struct, frozen=True, kw_only=True):
    """A file the pull request head changes."""

    path: str
    old_path: str | None
    change_type: ChangeType
    binary: bool
    old_mode: str | None
    new_mode: str | None
    additions: int
    deletions: int


class FindingOut(msgspec.Struct, frozen=True, kw_only=True):
    """An error found in the added lines, and the spell that best explains it (if any)."""

    rank: int
    path: str | None
    line: int | None
    error_type: str
    message: str
    excerpt: str
    stack_trace: str | None
    spell_id: int | None
    spell_title: str | None
    solution: str | None
    score: float | None
    why: str | None


class AnalysisOut(AnalysisSummary, frozen=True, kw_only=True):
    """An analysis with its files and findings."""

    files: list[FileOut]
    findings: list[FindingOut]


async def list_analyses(request: Request) -> Response:
    errors: list[FieldError] = []
    page = parse_page(request, errors)
    pr = query_int(request, "pr", default=0, low=1, high=MAX_SKIP, errors=errors)
    repository = query_text(request, "repository", errors=errors)
    kind = request.query_params.get("kind", "diff")
    if kind not in KINDS:
        errors.append(FieldError("query.kind", f"must be one of {', '.join(KINDS)}"))
    raise_if_any(errors)
    if kind == "ci":
        return await list_ci_analyses(request, page, repository=repository, pr_number=pr or None)
    async with resources(request).readers() as session:
        rows, total = await storage.list_analyses(
            session,
            skip=page.skip,
            limit=page.limit,
            repository=repository,
            pr_number=pr or None,
        )
        body = [summary(row) for row in rows]
    return JSONResponse(body, headers={"X-Total-Count": str(total)})


async def get_analysis(request: Request) -> Response:
    async with resources(request).readers() as session:
        analysis = await storage.get_analysis(session, request.path_params["analysis_id"])
        body = AnalysisOut(
            **msgspec.structs.asdict(summary(analysis)),
            files=[file_out(row) for row in analysis.files],
            findings=[finding_out(row) for row in analysis.findings],
        )
    return JSONResponse(body)


def summary(row: Analysis) -> AnalysisSummary:
    """Return the list view of a stored analysis."""
    return AnalysisSummary(
        id=row.id,
        delivery_id=row.delivery_id,
        repository=row.repository,
        pr_number=row.pr_number,
        head_sha=row.head_sha,
        base_sha=row.base_sha,
        status=row.status,
        error=row.error,
        source=row.source,
        created_at=row.created_at,
        updated_at=row.updated_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_ms=row.duration_ms,
        files_changed=row.files_changed,
        additions=row.additions,
        deletions=row.deletions,
        findings_count=row.findings_count,
        report_status=row.report_status,
        report_error=row.report_error,
    )


def file_out(row: AnalysisFile) -> FileOut:
    """Return the API view of a changed file."""
    return FileOut(
        path=row.path,
        old_path=row.old_path,
        change_type=row.change_type,
        binary=row.binary,
        old_mode=row.old_mode,
        new_mode=row.new_mode,
        additions=row.additions,
        deletions=row.deletions,
    )


def finding_out(row: Finding) -> FindingOut:
    """Return the API view of a finding."""
    return FindingOut(
        rank=row.rank,
        path=row.path,
        line=row.line,
        error_type=row.error_type,
        message=row.message,
        excerpt=row.excerpt,
        stack_trace=row.stack_trace,
        spell_id=row.spell_id,
        spell_title=row.spell_title,
        solution=row.spell_solution,
        score=row.score,
        why=row.why,
    )


_FILTERS = (
    Param(
        "kind",
        {"type": "string", "enum": list(KINDS), "default": "diff"},
        "diff: analyses of pull request diffs; ci: analyses of failed CI runs.",
    ),
    Param("repository", TEXT_SCHEMA, "Only this repository (owner/name)."),
    Param("pr", {"type": "integer", "minimum": 1, "maximum": MAX_SKIP}, "Only this PR number."),
)

routes = [
    ApiRoute(
        "/api/analyses",
        name="analyses",
        operations={
            "GET": (
                list_analyses,
                Operation(
                    summary="List analyses, newest first",
                    tag="analyses",
                    params=(*PAGE_PARAMS, *_FILTERS),
                    responses={
                        200: Reply(
                            "One page of analyses (of the kind asked for).",
                            list[AnalysisSummary | CiAnalysisOut],
                            headers={"X-Total-Count": "How many analyses match in all."},
                        ),
                        422: Reply("A query parameter is malformed.", ErrorBody),
                    },
                ),
            )
        },
    ),
    ApiRoute(
        "/api/analyses/{analysis_id:int}",
        name="analysis",
        operations={
            "GET": (
                get_analysis,
                Operation(
                    summary="Get one analysis with its files and findings",
                    tag="analyses",
                    responses={
                        200: Reply("The analysis.", AnalysisOut),
                        404: Reply("No analysis has this id.", ErrorBody),
                    },
                ),
            )
        },
    ),
]
