"""The HTTP server: uvicorn with httptools and the limits its options cannot express.

uvicorn's httptools parser accepts request heads of any size: a 64 MiB header stalled every other
request for seconds. Its h11 parser can limit the head, but costs about 150 µs more per request
in pure Python (bench/webhook_intake.sh: 786 vs 897 µs of server CPU per delivery), which is
intake's budget under load. So ``server_options`` selects httptools with ``GuardedProtocol``,
which adds what neither parser has, with the idle (keep-alive) timeout and the trusted proxies:

- a head size limit: a request line and headers longer than ``max_header_bytes`` are answered
  431 and the connection closed, as soon as that many bytes of an unfinished head have arrived;
- a header timeout: a connection whose request head is not complete ``header_timeout`` seconds
  after it opened (or after the first byte of its next request) is answered 408 and closed
  (uvicorn has none, and a client that opens connections and never finishes a request head held
  file descriptors forever: 21,000 of them starved the service);
- a drain deadline: a body answered before it was all read (408, 413, 503) may keep coming for
  ``body_timeout`` seconds, then the connection is closed;
- a connection cap: past ``max_connections``, the connection that has waited longest without
  sending a full request head (or idled longest between requests) is closed to make room, so
  half-open connections cannot lock out real clients; when none is waiting the new one gets 503
  (uvicorn's ``limit_concurrency`` answers only once a request has been read).

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

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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
        "timeout_keep_alive": limits.idle_timeout,
        "proxy_headers": True,
        "forwarded_allow_ips": limits.forwarded_allow_ips,
    }


def process_server_options(limits: ServerLimits) -> dict[str, Any]:
    """Return ``server_options`` for several worker processes (``grimoire serve --workers N``).

    uvicorn pickles its config into each worker process, and a class made by ``protocol_for``
    cannot be pickled: the protocol is named by import string instead, and each process binds
    the limits of its own settings (``EnvironGuardedProtocol``), as its app does.
    """
    return server_options(limits) | {"http": "grimoire.server:EnvironGuardedProtocol"}


def protocol_for(limits: ServerLimits) -> type[GuardedProtocol]:
    """Return the protocol class uvicorn instantiates per connection, bound to ``limits``."""
    return type("Guarded", (GuardedProtocol,), {"limits": limits})


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


class _Refused(Exception):
    """Raised in a parser callback to stop parsing a request that is being refused."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head size limit, a header timeout, a connection cap
    and parser errors in the JSON shape.

    httptools (llhttp) is uvicorn's fast parser, but it has no limit on the request head: it
    accumulates a header value however long it grows. The head is measured twice here: exactly,
    from the parsed request line and headers, once the head is complete; and by the raw bytes
    received, while it is not, so that a head that never ends is refused after the first chunk
    past the limit instead of being buffered.
    """

    limits: ClassVar[ServerLimits] = ServerLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # a request has begun and its head is not complete
        self._in_body = False  # its head is complete and its body is not
        self._head_bytes = 0  # of the current head, as parsed
        self._raw_head_bytes = 0  # of the current head, as received, while it is incomplete
        self._messages = 0  # requests received in full on this connection
        self._refusal: tuple[int, str] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            log.warning("refused a connection: %d are open", len(self.connections))
            transport.write(raw_error(503, "the server has too many open connections"))  # type: ignore[attr-defined]
            transport.close()
            return
        super().connection_made(transport)  # type: ignore[arg-type]
        self._await_head()

    def data_received(self, data: bytes) -> None:
        waiting = not self._in_body  # every byte of this chunk belongs to a head (or precedes one)
        if waiting and self._head_timer is None and not self._in_head:
            self._await_head()  # the first bytes of the next request on a kept-alive connection
        super().data_received(data)
        if self._in_head and waiting and not self.transport.is_closing():
            self._raw_head_bytes += len(data)
            if self._raw_head_bytes > self.limits.max_header_bytes:
                self._refuse_head_too_large()
                self.send_400_response("")

    def connection_lost(self, exc: Exception | None) -> None:
        self._head_arrived()
        if self.transport is not None:  # None: refused in connection_made
            super().connection_lost(exc)

    # Parser callbacks (httptools calls them from ``feed_data``).
    def on_message_begin(self) -> None:
        self._in_head = True
        self._head_bytes = self._raw_head_bytes = 0
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head, self._in_body = False, True
        self._head_arrived()
        # The method, the spaces, "HTTP/1.1", the request line's CRLF and the empty line.
        self._head_bytes += len(self.parser.get_method()) + 14
        if self._head_bytes > self.limits.max_header_bytes:
            self._refuse_head_too_large()
            raise _Refused  # httptools raises it from feed_data as a parser error: answered below
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        self._messages += 1
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_body and not self.transport.is_closing():
            # Answered before the whole body came (408, 413, 503, 401): the parser reads and
            # drops the rest, so that the client can read the answer, but a client dribbling it
            # would hold the connection forever; it gets ``body_timeout`` seconds to finish.
            self.loop.call_later(self.limits.body_timeout, self._drain_timeout, self._messages)

    def _drain_timeout(self, messages: int) -> None:
        if self._in_body and self._messages == messages and not self.transport.is_closing():
            self.transport.close()

    def send_400_response(self, msg: str) -> None:
        status, detail = self._refusal or (400, "the request is not valid HTTP/1.1")
        self.transport.write(raw_error(status, detail))
        self.transport.close()

    def _refuse_head_too_large(self) -> None:
        self._refusal = (
            431,
            f"the request line and headers exceed {self.limits.max_header_bytes} bytes",
        )

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
            if isinstance(conn, GuardedProtocol) and (since := conn.waiting_since()) is not None
        ]
        if not waiting:
            return False
        _, oldest = min(waiting, key=lambda pair: pair[0])
        oldest.transport.close()
        oldest.connections.discard(oldest)
        return True


class EnvironGuardedProtocol(GuardedProtocol):
    """``GuardedProtocol`` with the limits of ``Settings.from_environ()``, read once per process.

    For worker processes, which receive the protocol by import string (see
    ``process_server_options``) and read their settings from the environment like the app.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        if "limits" not in cls.__dict__:
            cls.limits = Settings.from_environ().limits
        super().__init__(*args, **kwargs)
