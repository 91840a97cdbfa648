"""What one client may cost the server: sizes, counts and times, with safe defaults.

Read from the environment by ``grimoire.config`` (the ``HTTP_*`` variables), enforced at two
places: ``grimoire.server`` (the HTTP protocol: header bytes, header and idle timeouts,
connections) and ``grimoire.web.limits`` (the ASGI middleware: header count, request line, body
deadline, bodies read at once). Every default is written here once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    """Limits on each request and connection (see the README's security section)."""

    max_header_bytes: int = 32 * 1024
    """Request line and headers together (HTTP_MAX_HEADER_BYTES); more is answered 431."""
    max_headers: int = 100
    """Header fields per request (HTTP_MAX_HEADERS); more is answered 431."""
    max_request_line: int = 8 * 1024
    """Bytes of the request target, path and query (HTTP_MAX_REQUEST_LINE); more is 414."""
    header_timeout: float = 10.0
    """Seconds from the first byte of a request (or the connection) to its last header line
    (HTTP_HEADER_TIMEOUT); a slower client gets 408 and the connection is closed."""
    body_timeout: float = 30.0
    """Seconds to receive a whole body once the app reads it (HTTP_BODY_TIMEOUT): 408."""
    idle_timeout: float = 5.0
    """Seconds a kept-alive connection may wait for its next request (HTTP_IDLE_TIMEOUT)."""
    max_connections: int = 500
    """Open connections per process (HTTP_MAX_CONNECTIONS). Past it, the connection that has
    waited longest for its headers (or idled longest) is closed to make room; if none is
    waiting, the new one is answered 503."""
    body_slots: int = 8
    """Request bodies read at once per process (HTTP_BODY_SLOTS): a webhook body cannot be
    authenticated before it is read, so this bounds the memory unsigned bodies can take
    (8 x 25 MiB). A body that waits longer than ``slot_wait`` for a slot is answered 503."""
    slot_wait: float = 5.0
    """Seconds a body may wait for a slot (HTTP_BODY_SLOT_WAIT): GitHub waits 10 s in all."""
    forwarded_allow_ips: str = "127.0.0.1,::1"
    """Proxies whose X-Forwarded-For/-Proto are believed (FORWARDED_ALLOW_IPS)."""
