"""The long-lived things a running service holds, built once per event loop.

``open_resources`` builds them for the web app's lifespan and for ``grimoire worker`` alike; it
imports nothing of the web layer, so a worker process never loads it. The web app adds its
own parts (the /api/* rate limit) on top.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from grimoire import migrations
from grimoire.config import Settings
from grimoire.errors import ConfigError
from grimoire.github.auth import AppAuth, TokenAuth, build_auth
from grimoire.github.client import GitHubClient
from grimoire.github.http import create_http_client
from grimoire.logs import configure_logging
from grimoire.metrics import Metrics
from grimoire.spellindex import SpellIndex
from grimoire.storage.db import (
    SERVICE_COMMAND_TIMEOUT,
    create_engine,
    create_readers,
    create_sessions,
    sqlite_file_engine,
)
from grimoire.storage.intake import IntakeWriter

log = logging.getLogger(__name__)

if TYPE_CHECKING:  # the web layer imports this module
    from grimoire.web.ratelimit import ApiRateLimit


@dataclass(frozen=True)
class Resources:
    """Settings, the database (sessions that write, sessions that only read), the GitHub client,
    intake, the compiled spellbook, the queue signal."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    readers: async_sessionmaker[AsyncSession]
    github: GitHubClient
    intake: IntakeWriter
    metrics: Metrics = field(default_factory=Metrics)
    rate_limit: ApiRateLimit | None = None
    spell_index: SpellIndex = field(default_factory=SpellIndex)
    # Set by intake when it queues a job, so in-process workers start at once instead of at
    # their next poll; workers in other processes poll.
    jobs_ready: asyncio.Event = field(default_factory=asyncio.Event)


def resources(request: Request) -> Resources:
    """Return the running app's resources (the lifespan state)."""
    return cast(Resources, request.state.resources)


@asynccontextmanager
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Build the resources a running service holds, and release them on the way out."""
    configure_logging(settings.log_level, settings.log_format)
    engine = create_engine(settings.database_url, command_timeout=SERVICE_COMMAND_TIMEOUT)
    sessions = create_sessions(engine)
    metrics = Metrics(multiprocess_dir=settings.prometheus_multiproc_dir)
    http = create_http_client(
        base_url=settings.github_api_url,
        on_response=metrics.observe_github,
        timeout=github_timeout(settings),
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
            spell_index=SpellIndex(file_engine=file_engine),
        )
    finally:
        await intake.close()
        await http.aclose()
        await engine.dispose()


def github_auth(settings: Settings) -> TokenAuth | AppAuth | None:
    """Authenticate to GitHub as the App when one is configured, else with the token."""
    return build_auth(
        token=settings.github_api_token,
        app_id=settings.github_app_id,
        private_key=settings.github_app_private_key,
    )


GC_THRESHOLDS = (10_000, 10, 10)


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


async def _check_schema(engine: AsyncEngine) -> None:
    try:
        await migrations.ensure_current(engine)
    except ConfigError:
        raise
    except Exception as exc:  # unreachable database: serve anyway, /health/ready says 503
        log.warning("could not check the database schema at startup: %s", exc)


def github_timeout(settings: Settings) -> httpx.Timeout:
    """Return the GitHub HTTP timeouts GITHUB_CONNECT/READ_TIMEOUT_SECONDS ask for."""
    connect, read = float(settings.github_connect_timeout), float(settings.github_read_timeout)
    return httpx.Timeout(connect=connect, read=read, write=min(read, 10.0), pool=connect * 2)
