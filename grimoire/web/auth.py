"""Bearer-token access control for /api/*.

With ``API_TOKEN`` unset every route is open (a service on a developer's machine). With it set,
every /api/* operation needs it, reads included: analyses hold matched lines of private pull
requests, deliveries what GitHub sent. Only the reads of the groups named in
``API_PUBLIC_READS`` (for example ``spells,match``) stay open, because an operator opened them on
purpose. Writes always need the token. /webhook has its own signature and /health its probes.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

from grimoire.errors import Unauthorized
from grimoire.resources import resources


def authorize(request: Request, *, group: str, write: bool) -> None:
    """Raise ``Unauthorized`` unless this request may run an operation of ``group``."""
    settings = resources(request).settings
    expected = settings.api_token
    if not expected or (not write and group in settings.api_public_reads):
        return
    token = bearer_token(request)
    # compare_digest on bytes: constant time, and no TypeError on non-ASCII input.
    if token is None or not hmac.compare_digest(
        token.encode("utf-8", "surrogateescape"), expected.encode()
    ):
        raise Unauthorized("this route needs `Authorization: Bearer <API_TOKEN>`")


def bearer_token(request: Request) -> str | None:
    """Return the bearer token the request carries, if any."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
