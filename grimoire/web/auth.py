"""Bearer-token protection for writes to /api/*."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from grimoire.errors import Unauthorized
from grimoire.resources import resources


def require_writer(request: Request) -> None:
    """Raise ``Unauthorized`` unless API_TOKEN is unset or the request carries it as a bearer."""
    expected = resources(request).settings.api_token
    if not expected:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    # compare_digest on bytes: constant time, and no TypeError on non-ASCII input.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        token.strip().encode("utf-8", "surrogateescape"), expected.encode()
    ):
        raise Unauthorized("this route needs `Authorization: Bearer <API_TOKEN>`")
