"""/health, /health/live and /health/ready: is the process up, can it serve, how are its parts."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

import grimoire
from grimoire.core.statuses import DELIVERY_STATUSES
from grimoire.errors import DatabaseUnavailable
from grimoire.resources import Resources, resources
from grimoire.storage import deliveries
from grimoire.storage.db import ping
from grimoire.web.openapi import ApiRoute, Operation, Reply
from grimoire.web.responses import JSONResponse

log = logging.getLogger(__name__)

Status = Literal["ok", "degraded", "unavailable", "not_configured"]
"""A component's state. ``not_configured``: a part the settings leave out (GitHub credentials),
which is not a fault: the overall status stays ``ok``."""

GITHUB_TIMEOUT = 3.0
QUEUE_LAG_DEGRADED = 300.0
"""A due job waiting longer than this (seconds) means the workers are not keeping up."""


class Component(msgspec.Struct, frozen=True, omit_defaults=True):
    """The state of one part the service depends on, with figures where it has some."""

    status: Status
    detail: str | None = None
    figures: dict[str, float] | None = None


class Health(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The service's health, part by part. On a 503 it also carries the error fields."""

    status: Status
    version: str
    components: dict[str, Component] = {}
    detail: str | None = None
    error_code: str | None = None
    timestamp: datetime | None = None


async def live(request: Request) -> Response:
    return JSONResponse(Health(status="ok", version=grimoire.__version__))


async def ready(request: Request) -> Response:
    database = await database_component(resources(request))
    return _answer({"database": database})


async def health(request: Request) -> Response:
    res = resources(request)
    database, github = await asyncio.gather(database_component(res), github_component(res))
    components = {"database": database, "github": github}
    if database.status == "ok":
        components["queue"] = await queue_component(res)
    return _answer(components)


async def database_component(res: Resources) -> Component:
    """Report whether the database answers a trivial query."""
    try:
        await ping(res.engine)
    except Exception as exc:  # any driver failure means the same thing here: not reachable
        log.warning("database health check failed: %s", exc)
        return Component(status="unavailable", detail=f"{type(exc).__name__}: database unreachable")
    return Component(status="ok")


async def github_component(res: Resources) -> Component:
    """Report whether the GitHub API answers (its outage is reported, never fatal).

    Without credentials Grimoire reports on no pull request, so GitHub is not asked at all. With
    them, GitHub's answer is reused for a minute (``GitHubClient.reachability``).
    """
    if not (res.settings.github_api_token or res.settings.has_app):
        return Component(
            status="not_configured",
            detail="not configured: set GITHUB_API_TOKEN or a GitHub App to report on pull "
            "requests",
        )
    reachability = await res.github.reachability(within=GITHUB_TIMEOUT)
    if reachability.reachable:
        return Component(status="ok", detail=reachability.detail or None)
    return Component(
        status="degraded", detail=reachability.detail.removeprefix("GitHub API unreachable: ")
    )


async def queue_component(res: Resources) -> Component:
    """Report the job queue: how many deliveries are in each state, and how late the oldest is."""
    now = datetime.now(UTC)
    try:
        async with res.readers() as session:
            counts = await deliveries.count_by_status(session)
            oldest = await deliveries.oldest_due(session, now=now)
    except Exception as exc:  # reported, not fatal: the database check covers outages
        return Component(status="degraded", detail=f"{type(exc).__name__}: queue unreadable")
    lag = (now - oldest).total_seconds() if oldest else 0.0
    figures: dict[str, float] = {s: float(counts.get(s, 0)) for s in DELIVERY_STATUSES}
    figures["lag_seconds"] = round(max(lag, 0.0), 3)
    status: Status = "degraded" if lag > QUEUE_LAG_DEGRADED else "ok"
    detail = f"oldest due job waiting {lag:.0f}s" if lag > QUEUE_LAG_DEGRADED else None
    return Component(status=status, detail=detail, figures=figures)


def _answer(components: dict[str, Component]) -> Response:
    if components["database"].status == "unavailable":
        body = Health(
            status="unavailable",
            version=grimoire.__version__,
            components=components,
            detail="the database is unreachable",
            error_code=DatabaseUnavailable.error_code,
            timestamp=datetime.now(UTC),
        )
        return JSONResponse(body, status_code=503)
    fine = ("ok", "not_configured")
    worst: Status = "ok" if all(c.status in fine for c in components.values()) else "degraded"
    return JSONResponse(Health(status=worst, version=grimoire.__version__, components=components))


def _operation(summary: str, *, ready: bool) -> Operation:
    replies = {200: Reply("Healthy (or degraded, which is still serving).", Health)}
    if ready:
        replies[503] = Reply("The database is unreachable (error fields included).", Health)
    return Operation(summary=summary, tag="health", responses=replies, database=False)


routes = [
    ApiRoute(
        "/health",
        name="health",
        operations={"GET": (health, _operation("Every component's state", ready=True))},
    ),
    ApiRoute(
        "/health/live",
        name="health_live",
        operations={"GET": (live, _operation("The process is up", ready=False))},
    ),
    ApiRoute(
        "/health/ready",
        name="health_ready",
        operations={"GET": (ready, _operation("The database is reachable", ready=True))},
    ),
]
