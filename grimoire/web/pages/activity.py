"""What came in and what was found: the deliveries page (with retry) and the analyses pages."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.report import web_url_for
from grimoire.core.statuses import DELIVERY_STATUSES
from grimoire.errors import Conflict
from grimoire.resources import resources
from grimoire.storage import analyses as analysis_storage
from grimoire.storage import ci as ci_storage
from grimoire.storage import deliveries as delivery_storage
from grimoire.storage import feedback as feedback_storage
from grimoire.storage.ci import run_views
from grimoire.web.pages.rendering import (
    error_page,
    page,
    read_form,
    redirect,
    render,
    require_write,
)
from grimoire.web.pages.spellbook import PAGE_SIZE, Pager, page_number


def _filter(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value[:255] or None


@page("deliveries")
async def delivery_list(request: Request) -> Response:
    """Show the deliveries, newest first, filtered by status and repository."""
    status = _filter(request, "status")
    if status not in (None, *DELIVERY_STATUSES):
        status = None
    repository = _filter(request, "repository")
    number = page_number(request)
    async with resources(request).readers() as session:
        rows, total = await delivery_storage.list_deliveries(
            session,
            skip=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            status=status,
            repository=repository,
        )
    query = {k: v for k, v in (("status", status), ("repository", repository)) if v}
    return render(
        request,
        "deliveries.html",
        {
            "title": "Deliveries",
            "deliveries": rows,
            "pager": Pager(number, PAGE_SIZE, total),
            "status": status,
            "statuses": DELIVERY_STATUSES,
            "repository": repository,
            "query": query,
            "retried": request.query_params.get("retried"),
        },
    )


@page("deliveries")
async def delivery_retry(request: Request) -> Response:
    """Queue a delivery to run again (signed in), then show the list."""
    require_write(request)
    await read_form(request)
    res = resources(request)
    delivery_id = request.path_params["delivery_id"]
    try:
        async with res.sessions.begin() as session:
            await delivery_storage.requeue(session, delivery_id, now=datetime.now(UTC))
    except Conflict as exc:
        return error_page(request, 409, "Nothing to retry", exc.detail)
    res.jobs_ready.set()
    return redirect(f"/deliveries?retried={quote(delivery_id)}")


@page("analyses")
async def analysis_list(request: Request) -> Response:
    """Show the analyses, newest first, filtered by repository and pull request."""
    repository = _filter(request, "repository")
    pr = request.query_params.get("pr", "")
    pr_number = int(pr) if pr.isdigit() and 0 < int(pr) < 2**31 else None
    number = page_number(request)
    async with resources(request).readers() as session:
        rows, total = await analysis_storage.list_analyses(
            session,
            skip=(number - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
            repository=repository,
            pr_number=pr_number,
        )
    query = {k: v for k, v in (("repository", repository), ("pr", pr_number)) if v}
    return render(
        request,
        "analyses.html",
        {
            "title": "Analyses",
            "analyses": rows,
            "pager": Pager(number, PAGE_SIZE, total),
            "repository": repository,
            "pr": pr_number,
            "query": query,
        },
    )


@page("analyses")
async def analysis_view(request: Request) -> Response:
    """Show one analysis: its findings linked to their lines, votes, the head's CI failures."""
    res = resources(request)
    async with res.readers() as session:
        analysis = await analysis_storage.get_analysis(session, request.path_params["analysis_id"])
        votes = await feedback_storage.votes_for_analysis(session, analysis.id)
        ci_runs = run_views(
            await ci_storage.runs_for_head(
                session,
                repository=analysis.repository,
                pr_number=analysis.pr_number,
                head_sha=analysis.head_sha,
            )
        )
    web = web_url_for(res.settings.github_api_url)
    base = f"{web}/{analysis.repository}"
    return render(
        request,
        "analysis.html",
        {
            "title": f"{analysis.repository}#{analysis.pr_number}",
            "analysis": analysis,
            "pull_url": f"{base}/pull/{analysis.pr_number}",
            "blob_base": f"{base}/blob/{analysis.head_sha}/",
            "votes": votes,
            "ci_runs": ci_runs,
            "thanked": request.query_params.get("thanks"),
        },
    )
