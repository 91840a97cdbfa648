"""The Starlette application: ``create_app(settings)`` builds it; ``app`` is for uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from grimoire.config import Settings
from grimoire.errors import GrimoireError
from grimoire.pipeline import process_job
from grimoire.resources import Resources, open_resources, tune_gc
from grimoire.storage.db import (
    is_database_outage,
)
from grimoire.web import analyses, ci, curation, deliveries, health, match, pages, spells, webhook
from grimoire.web.limits import RequestLimits
from grimoire.web.metrics import RequestMetrics, metrics_page
from grimoire.web.openapi import docs_page, openapi_json
from grimoire.web.ratelimit import ApiRateLimit
from grimoire.web.requestids import RequestIds
from grimoire.web.responses import handle_grimoire_error, handle_http_exception, handle_unexpected
from grimoire.worker import run_workers

log = logging.getLogger(__name__)

_STATIC = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings | None = None, *, server: bool = False) -> Starlette:
    """Build the app. Without ``settings`` they are read from the environment at startup.

    ``server=True`` is for the process that serves it (``grimoire serve``, ``grimoire.app:app``):
    it also tunes the garbage collector once startup is done (see ``tune_gc``).
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with (
            open_resources(settings or Settings.from_environ()) as shared,
            api_rate_limit(shared) as res,
            warm_spellbook(res),
            workers(res, res.settings.worker_concurrency),
        ):
            if server:
                tune_gc()
            yield {"resources": res}

    return Starlette(
        routes=build_routes(),
        lifespan=lifespan,
        middleware=[Middleware(RequestIds), Middleware(RequestMetrics), Middleware(RequestLimits)],
        exception_handlers={
            GrimoireError: handle_grimoire_error,
            HTTPException: handle_http_exception,
            # Named classes are answered by Starlette's ExceptionMiddleware; the catch-all goes
            # to ServerErrorMiddleware, which re-raises after answering, so that uvicorn logs
            # a traceback. A database outage is answered 503 and logged once, in one line.
            DBAPIError: handle_unexpected,
            OSError: handle_unexpected,
            Exception: handle_unexpected,
        },
    )


def build_routes() -> list[BaseRoute]:
    """Return every route the service answers."""
    return [
        *webhook.routes,
        *spells.routes,
        *curation.routes,
        *deliveries.routes,
        *analyses.routes,
        *ci.routes,
        *match.routes,
        *health.routes,
        Route("/metrics", metrics_page, include_in_schema=False),
        Route("/openapi.json", openapi_json, include_in_schema=False),
        Route("/docs", docs_page, include_in_schema=False),
        Mount("/docs/static", StaticFiles(directory=_STATIC / "swagger-ui"), name="docs_static"),
        *pages.routes,
    ]


@asynccontextmanager
async def api_rate_limit(res: Resources) -> AsyncIterator[Resources]:
    """Add the per-client /api/* rate limit (``API_RATE_LIMIT``) to the resources, if set."""
    settings = res.settings
    if not settings.api_rate_limit:
        yield res
        return
    rate_limit = ApiRateLimit.build(settings.api_rate_limit, settings.api_rate_limit_storage)
    try:
        yield dataclasses.replace(res, rate_limit=rate_limit)
    finally:
        await rate_limit.close()


@asynccontextmanager
async def warm_spellbook(res: Resources) -> AsyncIterator[None]:
    """Compile the spellbook in the background at start, not on the first request that needs it.

    At 100k spells compiling takes seconds; the service starts answering (intake, health) at once.
    """

    async def warm() -> None:
        try:
            await res.spell_index.current(res.readers)
        except Exception as exc:  # the first request will try again and report it
            if is_database_outage(exc):
                log.warning("could not load the spellbook at startup: %s", exc)
            else:
                log.exception("could not compile the spellbook at startup")

    task = asyncio.create_task(warm(), name="grimoire-warm-spellbook")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def workers(res: Resources, concurrency: int) -> AsyncIterator[None]:
    """Run ``concurrency`` in-process job loops for as long as the block runs (0: none)."""
    if concurrency == 0:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_workers(res, stop=stop, pipeline=process_job, concurrency=concurrency)
    )
    try:
        yield
    finally:
        stop.set()
        await task


app = create_app(server=True)
