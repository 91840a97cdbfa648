"""GET /metrics (Prometheus text format), and the middleware that counts and times requests.

Requests are labelled by route template (``/api/spells/{spell_id:int}``), never by the path a
client sent, so the number of series stays bounded. Not behind API_TOKEN: scrape it from inside
the network (see the README).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grimoire.core.statuses import DELIVERY_STATUSES
from grimoire.metrics import CONTENT_TYPE
from grimoire.resources import Resources, resources
from grimoire.storage import deliveries


async def metrics_page(request: Request) -> Response:
    """Serve every metric, the queue's read from the database now."""
    res = resources(request)
    await observe_queue(res)
    res.metrics.spells_loaded.set(res.spell_index.loaded)
    return Response(res.metrics.render(), media_type=CONTENT_TYPE)


async def observe_queue(res: Resources) -> None:
    """Read the queue's depth and lag into the metrics (left as they were if unreadable)."""
    now = datetime.now(UTC)
    try:
        async with res.readers() as session:
            counts = await deliveries.count_by_status(session)
            oldest = await deliveries.oldest_due(session, now=now)
    except Exception:  # a scrape still answers: /health reports the outage
        return
    counts = {status: counts.get(status, 0) for status in DELIVERY_STATUSES}
    age = (now - oldest).total_seconds() if oldest else 0.0
    res.metrics.observe_queue(counts, oldest_due_age=age)


class RequestMetrics:
    """ASGI middleware: count each HTTP request by route and status, and time it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.get("state") or {}
        if scope["type"] != "http" or "resources" not in state:
            await self.app(scope, receive, send)
            return
        metrics = state["resources"].metrics
        status = 500  # what the client gets if the app raises before answering
        started = time.perf_counter()

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = route_template(scope)
            method = scope["method"]
            metrics.http_latency.labels(route, method).observe(time.perf_counter() - started)
            metrics.http_requests.labels(route, method, str(status)).inc()


def route_template(scope: Scope) -> str:
    """Return the template of the route that answered (``unmatched`` when none did)."""
    route = scope.get("route")
    return str(getattr(route, "path", None) or "unmatched")
