"""Serve any ASGI app over real HTTP on loopback, inside the test's own event loop.

``async with serve(app) as base_url:`` starts uvicorn on ``127.0.0.1`` and a free port as a task in
the running loop, waits until it accepts connections, yields ``http://127.0.0.1:<port>``, then
shuts it down gracefully (lifespan shutdown included). Running in the test's loop means engines,
locks and clients created by the app never cross event loops.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

STARTUP_TIMEOUT = 10.0


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to pytest (Ctrl-C still stops the run)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: ASGIApp, *, host: str = "127.0.0.1", **config: Any) -> AsyncIterator[str]:
    """Run ``app`` under uvicorn on ``host`` and a free port; yield its base URL.

    Extra keyword arguments go to ``uvicorn.Config`` (e.g. ``lifespan="off"`` for an app that
    does not speak the lifespan protocol, or ``timeout_graceful_shutdown``).
    """
    options: dict[str, Any] = {
        "lifespan": "on",  # an app whose startup fails must fail the test, not be ignored
        "log_config": None,  # leave logging to pytest
        "access_log": False,
        "ws": "none",
        "timeout_graceful_shutdown": 5,
    }
    options.update(config)
    server = _Server(uvicorn.Config(app, **options))
    # Bind first, so the port is known before the server runs and no other test can take it.
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that name it, and without
    # it every response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
        task = asyncio.create_task(_run(server, sock), name=f"uvicorn on {host}:{port}")
        try:
            await _started(server, task)
            yield f"http://{host}:{port}"
        finally:
            server.should_exit = True
            await task
    finally:
        sock.close()


async def _run(server: uvicorn.Server, sock: socket.socket) -> None:
    """Serve until told to exit, turning uvicorn's startup ``sys.exit`` into an exception."""
    try:
        await server.serve(sockets=[sock])
    except SystemExit as exc:
        # A SystemExit escaping a task would stop the whole test session's event loop.
        raise RuntimeError(
            f"uvicorn could not start the app (exit code {exc.code}); "
            "its lifespan startup probably failed, see the log above"
        ) from None


async def _started(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    """Wait until the server accepts connections, or raise why it did not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + STARTUP_TIMEOUT
    while not server.started:
        if task.done():
            task.result()  # raises the startup failure
            raise RuntimeError("uvicorn stopped before it started serving")
        if loop.time() > deadline:
            raise TimeoutError(f"uvicorn did not start within {STARTUP_TIMEOUT} s")
        await asyncio.sleep(0.005)


class AppSlot:
    """An ASGI app that forwards to whichever app a test puts in it.

    Starting and stopping uvicorn costs ~0.2 s, so a module can serve one slot for all its tests
    (``serve(slot, lifespan="off")`` in a module-scoped fixture) and set ``slot.app`` per test.
    The slot does not run the lifespan of the apps put in it.
    """

    def __init__(self) -> None:
        self.app: ASGIApp | None = None
        self.url = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no app in the slot: set slot.app first")
        await self.app(scope, receive, send)
