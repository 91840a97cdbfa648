"""The overview (``/``) and the statistics page: which spells fire, which never do, and the
errors nothing explains yet."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.statuses import DELIVERY_STATUSES
from grimoire.resources import resources
from grimoire.storage import analyses, deliveries, feedback, spells, stats
from grimoire.web.pages import access
from grimoire.web.pages.charts import bar_chart
from grimoire.web.pages.rendering import page, render

RECENT = 5


@page("stats")
async def stats_page(request: Request) -> Response:
    """Show the spellbook's statistics."""
    async with resources(request).readers() as session:
        found = await stats.statistics(session, now=datetime.now(UTC))
        votes = await feedback.votes_by_spell(session)
    return render(
        request,
        "stats.html",
        {
            "title": "Statistics",
            "stats": found,
            "votes": votes,
            "no_votes": feedback.Votes(),
            "chart": bar_chart(found.daily),
            "totals": {
                "24 hours": sum(h.hits_24h for h in found.spells),
                "7 days": sum(h.hits_7d for h in found.spells),
                "30 days": sum(h.hits_30d for h in found.spells),
            },
        },
    )


@page(None)
async def overview(request: Request) -> Response:
    """The front page: what there is, and what happened lately (each part as reads allow)."""
    shown = {
        group: access.can_read(request, group) for group in ("spells", "analyses", "deliveries")
    }
    context: dict[str, object] = {"title": "Overview", "shown": shown}
    async with resources(request).readers() as session:
        if shown["spells"]:
            context["spell_count"] = await spells.count_spells(session)
        if shown["analyses"]:
            recent, total = await analyses.list_analyses(session, skip=0, limit=RECENT)
            context["analyses"], context["analysis_count"] = recent, total
        if shown["deliveries"]:
            by_status = await deliveries.count_by_status(session)
            context["delivery_counts"] = {s: by_status.get(s, 0) for s in DELIVERY_STATUSES}
    return render(request, "overview.html", context)
