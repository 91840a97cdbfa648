"""The long-lived things a running service holds, built once per event loop by the lifespan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from grimoire.config import Settings


@dataclass(frozen=True)
class Resources:
    """Settings, the database engine and the session factory."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]


def resources(request: Request) -> Resources:
    """Return the running app's resources (the lifespan state)."""
    return cast(Resources, request.state.resources)
