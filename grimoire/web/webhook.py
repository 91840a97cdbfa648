"""POST /webhook: signed GitHub deliveries in, durably queued, acknowledged within milliseconds.

Intake: read at most 25 MiB → verify the signature over the raw bytes → decide (queue, ignore or
refuse: ``grimoire.core.intake``) → commit the delivery → 202. GitHub waits at most 10 seconds
and never retries on its own, so nothing slow happens here: the worker does the rest.
https://docs.github.com/en/webhooks/using-webhooks/best-practices-for-using-webhooks
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.events import Delivery
from grimoire.core.intake import decide_intake
from grimoire.core.webhook_signature import verify_signature
from grimoire.errors import InvalidPayload, InvalidSignature, WebhookNotConfigured
from grimoire.resources import Resources, resources
from grimoire.sources import EVENT_TABLE
from grimoire.storage import ci
from grimoire.storage.deliveries import Arrival
from grimoire.web.bodies import read_body
from grimoire.web.openapi import ApiRoute, Operation, Param, Reply
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import ErrorBody

WEBHOOK_BODY_LIMIT = 25 * 1024 * 1024  # GitHub caps payloads at 25 MB
_MAX_HEADER = 100


class FormDelivery(msgspec.Struct, frozen=True):
    """A delivery sent with content type application/x-www-form-urlencoded."""

    payload: str


class WebhookAck(msgspec.Struct, frozen=True):
    """What became of a delivery."""

    status: Literal["queued", "ignored", "duplicate", "pong"]
    delivery_id: str
    event: str


async def receive_webhook(request: Request) -> Response:
    res = resources(request)
    secrets = res.settings.webhook_secrets
    if not secrets:
        raise WebhookNotConfigured()
    require_signature_header(request)  # before reading: an unsigned body is never read
    body = await read_body(request, limit=WEBHOOK_BODY_LIMIT)
    await check_signature(secrets, body, request)
    event, delivery_id = (
        required_header(request, "x-github-event"),
        delivery_id_header(request),
    )
    form = _media_type(request) == "application/x-www-form-urlencoded"
    decision = decide_intake(
        event,
        body,
        form=form,
        queued=EVENT_TABLE.keys(),
        own_app_id=res.settings.github_app_id,
    )
    if decision.verdict == "refuse":
        # Authenticated but unusable: recorded as failed, so the redelivery can be told apart.
        reason = decision.reason or "the payload is unusable"
        await res.intake.record(
            Arrival(delivery_id, decision.delivery, decision.payload, "failed", reason)
        )
        res.metrics.deliveries.labels(event, "failed").inc()
        raise InvalidPayload(reason)
    queue = decision.verdict == "queue" or (
        decision.verdict == "resolve" and await _resolves(res, decision.delivery)
    )
    status: Literal["queued", "ignored"] = "queued" if queue else "ignored"
    arrival = Arrival(delivery_id, decision.delivery, decision.payload, status)
    outcome = await res.intake.record(arrival)
    res.metrics.deliveries.labels(event, outcome).inc()
    if outcome in ("queued", "requeued"):
        res.jobs_ready.set()
        return ack(202, "queued", delivery_id, event)
    if event == "ping":
        return ack(200, "pong", delivery_id, event)
    if outcome == "duplicate":
        return ack(200, "duplicate", delivery_id, event)
    return ack(202, "ignored", delivery_id, event)


async def _resolves(res: Resources, delivery: Delivery) -> bool:
    """Tell whether a CI success has failures of its workflow on its head to resolve."""
    run = delivery.ci
    if run is None:
        return False
    async with res.readers() as session:
        return await ci.has_open_failures(
            session,
            repository=run.repository,
            head_sha=run.head_sha,
            workflow=run.workflow,
            event=run.source,
        )


_HASH_IN_THREAD = 1024 * 1024
"""Bodies larger than this are hashed in a thread: HMAC over 25 MiB holds the event loop ~50 ms
(hashlib releases the GIL, so the loop keeps answering meanwhile)."""


def require_signature_header(request: Request) -> None:
    """Raise ``InvalidSignature`` if ``X-Hub-Signature-256`` is missing (nothing to verify)."""
    if "x-hub-signature-256" in request.headers:
        return
    if "x-hub-signature" in request.headers:
        raise InvalidSignature("a sha1 signature alone is not accepted: send X-Hub-Signature-256")
    raise InvalidSignature("the X-Hub-Signature-256 header is missing")


async def check_signature(secrets: tuple[str, ...], body: bytes, request: Request) -> None:
    """Raise ``InvalidSignature`` unless ``X-Hub-Signature-256`` verifies ``body``."""
    header = request.headers.get("x-hub-signature-256")
    if len(body) > _HASH_IN_THREAD:
        verified = await asyncio.to_thread(verify_signature, secrets, body, header)
    else:
        verified = verify_signature(secrets, body, header)
    if not verified:
        require_signature_header(request)
        raise InvalidSignature("X-Hub-Signature-256 does not match the body and the webhook secret")


def required_header(request: Request, name: str) -> str:
    """Return a header GitHub always sends, or raise ``InvalidPayload`` (400)."""
    value = request.headers.get(name, "").strip()
    if not value:
        raise InvalidPayload(f"the {name} header is missing")
    if len(value) > _MAX_HEADER or not value.isprintable():
        raise InvalidPayload(f"the {name} header is not a valid value")
    return value


def delivery_id_header(request: Request) -> str:
    """Return ``X-GitHub-Delivery``; one with ``/`` is refused (400), since it could be stored
    but never named in ``/api/deliveries/{id}`` to be read or retried."""
    value = required_header(request, "x-github-delivery")
    if "/" in value:
        raise InvalidPayload("the x-github-delivery header must not contain '/'")
    return value


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def ack(status_code: int, status: Any, delivery_id: str, event: str) -> JSONResponse:
    return JSONResponse(WebhookAck(status, delivery_id, event), status_code=status_code)


_HEADERS = (
    Param(
        "X-GitHub-Event", {"type": "string"}, "The event name, e.g. pull_request.", True, "header"
    ),
    Param("X-GitHub-Delivery", {"type": "string"}, "The delivery's unique id.", True, "header"),
    Param(
        "X-Hub-Signature-256",
        {"type": "string", "pattern": "^sha256=[0-9a-f]{64}$"},
        "HMAC-SHA256 of the raw body with the webhook secret.",
        True,
        "header",
    ),
)

routes = [
    ApiRoute(
        "/webhook",
        name="webhook",
        operations={
            "POST": (
                receive_webhook,
                Operation(
                    summary="Receive a GitHub webhook delivery",
                    tag="webhook",
                    description=(
                        "Verifies the signature, stores the delivery durably and answers before "
                        "any analysis runs. A delivery id seen before is a duplicate, unless that "
                        "delivery failed: then it is queued again (GitHub's redeliver button). "
                        "Both of GitHub's content types are accepted: application/json, and "
                        "application/x-www-form-urlencoded (the JSON in its payload field)."
                    ),
                    body=dict[str, Any],
                    other_bodies={"application/x-www-form-urlencoded": FormDelivery},
                    raw_body=True,
                    params=_HEADERS,
                    responses={
                        200: Reply("A ping, or a delivery already received.", WebhookAck),
                        202: Reply("Queued for analysis, or recorded as ignored.", WebhookAck),
                        400: Reply("A header is missing, or the body is unusable.", ErrorBody),
                        401: Reply("The signature is missing or wrong.", ErrorBody),
                        503: Reply(
                            "No webhook secret is configured, or the database is down.", ErrorBody
                        ),
                    },
                ),
            )
        },
    )
]
