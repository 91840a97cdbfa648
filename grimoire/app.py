"""The Starlette application: ``create_app(settings)`` builds it; ``app`` is for uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import gc
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

from grimoire import migrations
from grimoire.config import Settings
from grimoire.errors import ConfigError, GrimoireError
from grimoire.github.auth import AppAuth, TokenAuth, build_auth
from grimoire.github.client import GitHubClient
from grimoire.github.http import create_http_client
from grimoire.logs import configure_logging
from grimoire.metrics import Metrics
from grimoire.pipeline import process_job
from grimoire.resources import Resources
from grimoire.spellindex import SpellIndex
from grimoire.storage.db import (
    SERVICE_COMMAND_TIMEOUT,
    create_engine,
    create_readers,
    create_sessions,
    is_database_outage,
    sqlite_file_engine,
)
from grimoire.storage.intake import IntakeWriter
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
GC_THRESHOLDS = (10_000, 10, 10)


def create_app(settings: Settings | None = None, *, server: bool = False) -> Starlette:
    """Build the app. Without ``settings`` they are read from the environment at startup.

    ``server=True`` is for the process that serves it (``grimoire serve``, ``grimoire.app:app``):
    it also tunes the garbage collector once startup is done (see ``tune_gc``).
    """

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        async with (
            open_resources(settings or Settings.from_environ()) as res,
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
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Build the resources a running service holds, and release them on the way out."""
    configure_logging(settings.log_level, settings.log_format)
    engine = create_engine(settings.database_url, command_timeout=SERVICE_COMMAND_TIMEOUT)
    sessions = create_sessions(engine)
    metrics = Metrics(multiprocess_dir=settings.prometheus_multiproc_dir)
    http = create_http_client(base_url=settings.github_api_url, on_response=metrics.observe_github)
    rate_limit = (
        ApiRateLimit.build(settings.api_rate_limit, settings.api_rate_limit_storage)
        if settings.api_rate_limit
        else None
    )
    file_engine = sqlite_file_engine(settings.database_url)
    intake = IntakeWriter(sessions, file_engine=file_engine)
    try:
        await _check_schema(engine)
        yield Resources(
            settings=settings,
            engine=engine,
            sessions=sessions,
            readers=create_readers(engine),
            github=GitHubClient(
                http, auth=github_auth(settings), write_spacing=settings.github_write_spacing
            ),
            intake=intake,
            metrics=metrics,
            rate_limit=rate_limit,
            spell_index=SpellIndex(file_engine=file_engine),
        )
    finally:
        await intake.close()
        if rate_limit is not None:
            await rate_limit.close()
        await http.aclose()
        await engine.dispose()


def github_auth(settings: Settings) -> TokenAuth | AppAuth | None:
    """Authenticate to GitHub as the App when one is configured, else with the token."""
    return build_auth(
        token=settings.github_api_token,
        app_id=settings.github_app_id,
        private_key=settings.github_app_private_key,
    )


def tune_gc() -> None:
    """Keep garbage collection pauses out of request latency.

    Measured with bench/webhook_intake.sh: with CPython's defaults, collections of the oldest
    generation walk every object the imports and startup made, and put 70-100 ms stalls into p99.
    Objects alive after startup are frozen (never scanned again) and young collections run less
    often. Only for a serving process: tests build many apps in one process and must not.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


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


async def _check_schema(engine: Any) -> None:
    try:
        await migrations.ensure_current(engine)
    except ConfigError:
        raise
    except Exception as exc:  # unreachable database: serve anyway, /health/ready says 503
        log.warning("could not check the database schema at startup: %s", exc)


app = create_app(server=True)
