"""/api/deliveries: what GitHub sent, what became of it, and a way to run one again."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.statuses import DELIVERY_STATUSES, DeliveryStatus
from grimoire.errors import FieldError
from grimoire.resources import resources
from grimoire.storage import deliveries as storage
from grimoire.storage.tables import Delivery
from grimoire.web.openapi import ApiRoute, Operation, Param, Reply
from grimoire.web.pagination import (
    PAGE_PARAMS,
    TEXT_SCHEMA,
    parse_page,
    query_text,
    raise_if_any,
)
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import ErrorBody


class DeliveryOut(msgspec.Struct, frozen=True, kw_only=True):
    """A webhook delivery and its processing state."""

    id: str
    event: str
    action: str | None
    repository: str | None
    pr_number: int | None
    head_sha: str | None
    installation_id: int | None
    sender: str | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None
    updated_at: datetime


async def list_deliveries(request: Request) -> Response:
    errors: list[FieldError] = []
    page = parse_page(request, errors)
    status = request.query_params.get("status")
    if status is not None and status not in DELIVERY_STATUSES:
        errors.append(FieldError("query.status", f"must be one of {', '.join(DELIVERY_STATUSES)}"))
    repository = query_text(request, "repository", errors=errors)
    raise_if_any(errors)
    async with resources(request).readers() as session:
        rows, total = await storage.list_deliveries(
            session, skip=page.skip, limit=page.limit, status=status, repository=repository
        )
        body = [delivery_out(row) for row in rows]
    return JSONResponse(body, headers={"X-Total-Count": str(total)})


async def get_delivery(request: Request) -> Response:
    async with resources(request).readers() as session:
        delivery = await storage.get_delivery(session, request.path_params["delivery_id"])
        return JSONResponse(delivery_out(delivery))


async def retry_delivery(request: Request) -> Response:
    res = resources(request)
    async with res.sessions.begin() as session:
        delivery = await storage.requeue(
            session, request.path_params["delivery_id"], now=datetime.now(UTC)
        )
        body = delivery_out(delivery)
    res.jobs_ready.set()
    return JSONResponse(body, status_code=202)


def delivery_out(row: Delivery) -> DeliveryOut:
    """Return the API view of a stored delivery."""
    return DeliveryOut(
        id=row.id,
        event=row.event,
        action=row.action,
        repository=row.repository,
        pr_number=row.pr_number,
        head_sha=row.head_sha,
        installation_id=row.installation_id,
        sender=row.sender,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.status == storage.QUEUED else None,
        last_error=row.last_error,
        received_at=row.received_at,
        processed_at=row.processed_at,
        updated_at=row.updated_at,
    )


_NOT_FOUND = Reply("No delivery has this id.", ErrorBody)
_FILTERS = (
    Param("status", {"type": "string", "enum": list(DELIVERY_STATUSES)}, "Only this status."),
    Param("repository", TEXT_SCHEMA, "Only this repository (owner/name)."),
)

routes = [
    ApiRoute(
        "/api/deliveries",
        name="deliveries",
        operations={
            "GET": (
                list_deliveries,
                Operation(
                    summary="List webhook deliveries, newest first",
                    tag="deliveries",
                    params=(*PAGE_PARAMS, *_FILTERS),
                    responses={
                        200: Reply(
                            "One page of deliveries.",
                            list[DeliveryOut],
                            headers={"X-Total-Count": "How many deliveries match in all."},
                        )
                    },
                ),
            )
        },
    ),
    ApiRoute(
        "/api/deliveries/{delivery_id:str}",
        name="delivery",
        operations={
            "GET": (
                get_delivery,
                Operation(
                    summary="Get one delivery",
                    tag="deliveries",
                    responses={200: Reply("The delivery.", DeliveryOut), 404: _NOT_FOUND},
                ),
            )
        },
    ),
    ApiRoute(
        "/api/deliveries/{delivery_id:str}/retry",
        name="delivery_retry",
        operations={
            "POST": (
                retry_delivery,
                Operation(
                    summary="Run a delivery again",
                    tag="deliveries",
                    description="Queues the delivery now with fresh attempts (unless it is "
                    "being processed right now, which is left alone).",
                    auth=True,
                    responses={
                        202: Reply("Queued.", DeliveryOut),
                        404: _NOT_FOUND,
                        409: Reply("The delivery was ignored: there is nothing to run.", ErrorBody),
                    },
                ),
            )
        },
    ),
]
