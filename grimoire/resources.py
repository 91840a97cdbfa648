"""The long-lived things a running service holds, built once per event loop by the lifespan."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from grimoire.config import Settings
from grimoire.github.client import GitHubClient
from grimoire.metrics import Metrics
from grimoire.spellindex import SpellIndex
from grimoire.storage.intake import IntakeWriter

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
