"""The HTTP server: uvicorn with h11 and the limits its options cannot express.

uvicorn's default parser (httptools) accepts headers of any size: a 64 MiB header stalled every
other request for seconds. h11 buffers at most ``max_header_bytes`` of an incomplete request head
(uvicorn's ``h11_max_incomplete_event_size``), so ``server_options`` selects it, with the idle
(keep-alive) timeout and the trusted proxies. uvicorn has no header timeout and its
``limit_concurrency`` answers only once a request has been read, so a client that opens
connections and never finishes a request head held file descriptors forever (21,000 of them
starved the service); ``GuardedH11Protocol`` adds both:

- a header timeout: a connection whose request head is not complete ``header_timeout`` seconds
  after it opened (or after the first byte of its next request) is answered 408 and closed;
- a drain deadline: a body answered before it was all read (408, 413, 503) may keep coming for
  ``body_timeout`` seconds, then the connection is closed;
- a connection cap: past ``max_connections``, the connection that has waited longest without
  sending a full request head (or idled longest between requests) is closed to make room, so
  half-open connections cannot lock out real clients; when none is waiting the new one gets 503.

Requests the parser rejects (malformed, head too large) are answered in the documented JSON
error shape instead of uvicorn's plain text. The limits that need the parsed request (header
count, target length, body slots and deadline) are ``grimoire.web.limits``.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, ClassVar

import h11
import msgspec
from uvicorn.protocols.http.h11_impl import H11Protocol

from grimoire.config import Settings
from grimoire.limits import ServerLimits
from grimoire.web.schemas import ErrorBody

log = logging.getLogger(__name__)

_CODE_BY_STATUS = {
    400: "BAD_REQUEST",
    408: "REQUEST_TIMEOUT",
    431: "HEADERS_TOO_LARGE",
    503: "SERVICE_UNAVAILABLE",
}


def server_options(limits: ServerLimits) -> dict[str, Any]:
    """Return the ``uvicorn.Config``/``uvicorn.run`` options that enforce ``limits``."""
    return {
        "http": protocol_for(limits),
        "h11_max_incomplete_event_size": limits.max_header_bytes,
        "timeout_keep_alive": limits.idle_timeout,
        "proxy_headers": True,
        "forwarded_allow_ips": limits.forwarded_allow_ips,
    }


def process_server_options(limits: ServerLimits) -> dict[str, Any]:
    """Return ``server_options`` for several worker processes (``grimoire serve --workers N``).

    uvicorn pickles its config into each worker process, and a class made by ``protocol_for``
    cannot be pickled: the protocol is named by import string instead, and each process binds
    the limits of its own settings (``EnvironGuardedH11Protocol``), as its app does.
    """
    return server_options(limits) | {"http": "grimoire.server:EnvironGuardedH11Protocol"}


def protocol_for(limits: ServerLimits) -> type[GuardedH11Protocol]:
    """Return the protocol class uvicorn instantiates per connection, bound to ``limits``."""
    return type("GuardedH11", (GuardedH11Protocol,), {"limits": limits})


def raw_error(status: int, detail: str) -> bytes:
    """Return a complete HTTP/1.1 error response, closing the connection, in the JSON shape."""
    body = msgspec.json.encode(
        ErrorBody(
            detail=detail,
            error_code=_CODE_BY_STATUS.get(status, "HTTP_ERROR"),
            timestamp=datetime.now(UTC),
        )
    )
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class _Connection(h11.Connection):
    """h11's connection, remembering the status h11 suggests for the last request it refused."""

    refused_status = 400

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refused_status = exc.error_status_hint
            raise


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a header timeout, a connection cap and JSON parser errors."""

    limits: ClassVar[ServerLimits] = ServerLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            log.warning("refused a connection: %d are open", len(self.connections))
            transport.write(raw_error(503, "the server has too many open connections"))  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await_head()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self.conn.their_state is h11.IDLE:
            self._await_head()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._head_arrived()

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        if self.transport is not None:  # None: refused in connection_made
            super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            # Answered before the whole body came (408, 413, 503, 401): uvicorn reads and drops
            # the rest, so that the client can read the answer, but a client dribbling it would
            # hold the connection forever; it gets ``body_timeout`` seconds to finish.
            self.loop.call_later(self.limits.body_timeout, self._drain_timeout)

    def _drain_timeout(self) -> None:
        if self.conn.their_state is h11.SEND_BODY and not self.transport.is_closing():
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        status = getattr(self.conn, "refused_status", 400)
        detail = (
            f"the request line and headers exceed {self.limits.max_header_bytes} bytes"
            if status == 431
            else "the request is not valid HTTP/1.1"
        )
        self.transport.write(raw_error(status, detail))
        self.transport.close()

    def waiting_since(self) -> float | None:
        """When this connection started waiting for a request head, if it is waiting."""
        for timer in (self._head_timer, self.timeout_keep_alive_task):
            if timer is not None:
                return timer.when()
        return None

    def _await_head(self) -> None:
        self._head_timer = self.loop.call_later(self.limits.header_timeout, self._head_timeout)

    def _head_arrived(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.write(
                raw_error(
                    408,
                    f"the request line and headers did not arrive within "
                    f"{self.limits.header_timeout:g} s",
                )
            )
            self.transport.close()

    def _make_room(self) -> bool:
        """Close the connection that has waited longest for a request; False if none waits."""
        waiting = [
            (since, conn)
            for conn in self.connections
            if isinstance(conn, GuardedH11Protocol) and (since := conn.waiting_since()) is not None
        ]
        if not waiting:
            return False
        _, oldest = min(waiting, key=lambda pair: pair[0])
        oldest.transport.close()
        oldest.connections.discard(oldest)
        return True


class EnvironGuardedH11Protocol(GuardedH11Protocol):
    """``GuardedH11Protocol`` with the limits of ``Settings.from_environ()``, read once per process.

    For worker processes, which receive the protocol by import string (see
    ``process_server_options``) and read their settings from the environment like the app.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if "limits" not in cls.__dict__:
            cls.limits = Settings.from_environ().limits
        super().__init__(*args, **kwargs)
