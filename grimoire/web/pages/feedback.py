"""The feedback page each finding of a PR comment links to: was the spell helpful, or wrong?

Anyone who can reach the link may vote (the readers of a pull request are not curators); the
finding's text is shown only to those who may read analyses. Votes count per spell on the spell
page and in the statistics.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from grimoire.resources import resources
from grimoire.storage import feedback as storage
from grimoire.web.pages import access
from grimoire.web.pages.rendering import error_page, page, read_form, redirect, render


def feedback_path(analysis_id: int, rank: int) -> str:
    """Return the path of a finding's feedback page."""
    return f"/analyses/{analysis_id}/findings/{rank}/feedback"


@page(None)
async def feedback_form(request: Request) -> Response:
    """Ask whether a finding's spell was helpful or wrong."""
    analysis_id, rank = request.path_params["analysis_id"], request.path_params["rank"]
    async with resources(request).readers() as session:
        finding = await storage.get_finding(session, analysis_id, rank)
    return render(
        request,
        "feedback.html",
        {
            "title": "Was this helpful?",
            "finding": finding,
            "show_finding": access.can_read(request, "analyses"),
            "show_spell": access.can_read(request, "spells"),
            "thanks": request.query_params.get("thanks"),
        },
    )


@page(None)
async def feedback_vote(request: Request) -> Response:
    """Count a reader's verdict, then thank them."""
    form = await read_form(request)
    verdict = form.get("verdict")
    if verdict not in storage.VERDICTS:
        return error_page(request, 400, "Bad request", "say whether it was helpful or wrong")
    analysis_id, rank = request.path_params["analysis_id"], request.path_params["rank"]
    async with resources(request).sessions.begin() as session:
        finding = await storage.get_finding(session, analysis_id, rank)
        await storage.record_vote(session, finding, verdict, now=datetime.now(UTC))
    return redirect(feedback_path(analysis_id, rank) + f"?thanks={verdict}")
