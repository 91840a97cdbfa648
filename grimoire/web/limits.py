"""The per-request limits the HTTP parser does not enforce, as ASGI middleware.

Before the app: too many header fields (431) or a too long request target (414). While the app
reads the body: a slot among ``body_slots`` (503 when none frees up within ``slot_wait``) and a
deadline for the whole body (408). A webhook body cannot be authenticated before all of it is
read, so the slots are what bounds the memory unsigned bodies take: 50 clients sending 25 MiB
each hold at most ``body_slots`` bodies; the rest wait with 64 KiB buffered each (uvicorn stops
reading a connection past that). A client that leaves mid-body is logged in one line.

The limits come from the running service's settings (the lifespan state); an app run without
them (a test's bare app) gets the defaults.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grimoire.errors import (
    GrimoireError,
    HeadersTooLarge,
    RequestLineTooLong,
    RequestTimeout,
    ServerBusy,
)
from grimoire.limits import ServerLimits
from grimoire.web.responses import error_response, status_for

log = logging.getLogger(__name__)


class RequestLimits:
    """ASGI middleware enforcing header count, request line, body slots and body deadline."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limits = limits_of(scope)
        refusal = refuse_head(scope, limits)
        if refusal is not None:
            response = error_response(status_for(refusal), refusal.detail, refusal.error_code)
            await response(scope, receive, send)
            return
        if self._slots is None:
            self._slots = asyncio.Semaphore(limits.body_slots)
        body = _BodyReader(receive, limits, self._slots if _has_body(scope) else None)
        try:
            await self.app(scope, body.receive, send)
        except ClientDisconnect:
            # Nobody is left to answer; a traceback would say nothing the line does not.
            log.info("%s %s: the client left before sending its whole body", *_where(scope))
        finally:
            body.release()


def limits_of(scope: Scope) -> ServerLimits:
    """Return the running service's limits (the defaults outside a running service)."""
    res = scope.get("state", {}).get("resources")
    settings = getattr(res, "settings", None)
    limits = getattr(settings, "limits", None)
    return limits if isinstance(limits, ServerLimits) else ServerLimits()


def refuse_head(scope: Scope, limits: ServerLimits) -> GrimoireError | None:
    """Return why the request line or headers are refused, if they are."""
    if len(scope["headers"]) > limits.max_headers:
        return HeadersTooLarge(
            f"the request has {len(scope['headers'])} header fields; at most "
            f"{limits.max_headers} are accepted"
        )
    target = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"")
    if target > limits.max_request_line:
        return RequestLineTooLong(
            f"the request target is {target} bytes long; at most {limits.max_request_line} "
            "are accepted"
        )
    return None


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


def _where(scope: Scope) -> tuple[str, str]:
    return scope["method"], scope["path"]


class _BodyReader:
    """The app's ``receive``: a body slot first, then the body within the deadline."""

    def __init__(
        self, receive: Receive, limits: ServerLimits, slots: asyncio.Semaphore | None
    ) -> None:
        self._receive = receive
        self._limits = limits
        self._slots = slots
        self._holding = False
        self._deadline: float | None = None
        self._done = slots is None

    async def receive(self) -> Message:
        if self._done:
            return await self._receive()
        if not self._holding:
            await self._take_slot()
        loop = asyncio.get_running_loop()
        if self._deadline is None:
            self._deadline = loop.time() + self._limits.body_timeout
        try:
            async with asyncio.timeout_at(self._deadline):
                message = await self._receive()
        except TimeoutError:
            self.release()
            raise RequestTimeout(
                f"the request body did not arrive within {self._limits.body_timeout:g} s"
            ) from None
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.release()
        return message

    async def _take_slot(self) -> None:
        assert self._slots is not None
        try:
            async with asyncio.timeout(self._limits.slot_wait):
                await self._slots.acquire()
        except TimeoutError:
            self._done = True
            raise ServerBusy(
                f"{self._limits.body_slots} request bodies are being read already; "
                "retry in a few seconds"
            ) from None
        self._holding = True

    def release(self) -> None:
        """Give the slot back (the body is read, refused or abandoned)."""
        self._done = True
        if self._holding and self._slots is not None:
            self._holding = False
            self._slots.release()
