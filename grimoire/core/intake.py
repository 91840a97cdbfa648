"""What webhook intake does with a delivery: queue it, ignore it, or refuse it.

One pure function, in the role of gidgethub's ``Event.from_http``: the HTTP handler reads the
body and checks the signature, then asks ``decide_intake`` and carries out the answer. Which
``(event, action)`` pairs are queued is the event table's business (``grimoire.sources``); it is
passed in, so the decision stays a function of its arguments.

- ``queue``: a source handles the event and action; the worker runs it.
- ``ignore``: acknowledged and recorded, nothing to run (a ping, a closed pull request, an event
  no source reads).
- ``resolve``: a CI run that succeeded, queued only if its head has CI failures of the same
  workflow on record (the handler asks the database: ``grimoire.core.ci_events``).
- ``refuse``: authenticated but unusable (not JSON, a form body without its payload, a payload
  lacking a field Grimoire uses); recorded as failed and answered 400.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

import msgspec

from grimoire.core.ci_events import Intent, ci_intent
from grimoire.core.events import Delivery, decode_delivery, form_payload
from grimoire.core.report import CHECK_NAME
from grimoire.errors import InvalidPayload

Verdict = Literal["queue", "ignore", "resolve", "refuse"]
_CI_VERDICTS: dict[Intent, Verdict] = {"analyse": "queue", "resolve": "resolve", "ignore": "ignore"}


class IntakeDecision(msgspec.Struct, frozen=True, kw_only=True):
    """The verdict on one delivery, what it is about, and the body to store.

    ``payload`` is the JSON document (taken out of a form body); a refused delivery keeps the
    body as it came. ``reason`` says why a delivery is refused.
    """

    verdict: Verdict
    delivery: Delivery
    payload: bytes
    reason: str | None = None


def decide_intake(
    event: str,
    body: bytes,
    *,
    form: bool,
    queued: Collection[tuple[str, str]],
    own_app_id: int | None = None,
) -> IntakeDecision:
    """Decide what becomes of a delivery whose signature has verified.

    ``form``: the body is ``application/x-www-form-urlencoded`` (the JSON in its ``payload``
    field). ``queued``: the ``(event, action)`` pairs some source handles. ``own_app_id``:
    Grimoire's own GitHub App, whose check runs' events are never analysed.
    """
    try:
        payload = form_payload(body) if form else body
        delivery = decode_delivery(event, payload)
    except InvalidPayload as exc:
        return IntakeDecision(
            verdict="refuse", delivery=Delivery(event=event), payload=body, reason=exc.detail
        )
    wanted = delivery.action is not None and (event, delivery.action) in queued
    if wanted and delivery.ci is not None:
        intent = ci_intent(delivery.ci, own_app_id=own_app_id, own_check_name=CHECK_NAME)
        return IntakeDecision(verdict=_CI_VERDICTS[intent], delivery=delivery, payload=payload)
    return IntakeDecision(
        verdict="queue" if wanted else "ignore", delivery=delivery, payload=payload
    )
