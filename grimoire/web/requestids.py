"""Request ids: ``X-Request-ID`` taken from the request if sent, made if not, echoed back.

The id is put in a context variable for the request's duration, so every log record written
while the request is served (uvicorn's access line included) carries it.
"""

from __future__ import annotations

import re
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from grimoire.logs import request_id

HEADER = "X-Request-ID"
# What a proxy or client may send as an id: short and printable, so it cannot forge log lines.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")


class RequestIds:
    """ASGI middleware: give each HTTP request an id, log with it, answer with it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = accepted_id(scope) or uuid.uuid4().hex

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        token = request_id.set(rid)
        await self.app(scope, receive, send_with_id)
        # Reset only on success: after an unhandled error the id stays set in this task, so the
        # outermost error handler's log line (written after this frame unwinds) still carries it.
        request_id.reset(token)


def accepted_id(scope: Scope) -> str | None:
    """Return the client's ``X-Request-ID`` if it is one we take as is."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _ACCEPTED.fullmatch(text) else None
    return None
