"""Reading request bodies with a size limit, without holding more than the limit in memory."""

from __future__ import annotations

from starlette.requests import Request

from grimoire.errors import InvalidPayload, PayloadTooLarge

API_BODY_LIMIT = 1024 * 1024


async def read_body(request: Request, *, limit: int = API_BODY_LIMIT) -> bytes:
    """Return the body, or raise ``PayloadTooLarge`` as soon as it is known to exceed ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InvalidPayload("the Content-Length header is not a number")
        if int(declared) > limit:
            raise PayloadTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
