"""Run an app in-process: its lifespan started, an httpx client on the ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from grimoire.app import create_app
from grimoire.config import Settings


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Start ``create_app(settings)`` and yield a client talking to it over ASGI."""
    app = create_app(settings)
    async with (
        lifespan(app) as asgi,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi, raise_app_exceptions=False),
            base_url="http://grimoire.test",
        ) as client,
    ):
        yield client


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[ASGIApp]:
    """Run the app's lifespan and yield an ASGI app that hands each request its state.

    This is what a server does with lifespan state (uvicorn copies it into each request's scope);
    httpx's ASGI transport does not run the lifespan, so the tests do it here.
    """
    async with app.router.lifespan_context(app) as state:

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            scope["state"] = dict(state or {})
            await app(scope, receive, send)

        yield with_state
