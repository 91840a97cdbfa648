"""Webhook deliveries as values: the few fields Grimoire uses, decoded from GitHub's payloads.

GitHub sends 20–30 KB per pull_request event; msgspec decodes only the fields declared here and
skips the rest. https://docs.github.com/en/webhooks/webhook-events-and-payloads#pull_request
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qs

import msgspec

from grimoire.core.ci_events import CI_EVENTS, CiRun, decode_ci_run
from grimoire.errors import InvalidPayload

# Bounds that hold for every real payload, so that stored columns never overflow.
_Name = Annotated[str, msgspec.Meta(max_length=255)]
_Action = Annotated[str, msgspec.Meta(max_length=100)]
_Sha = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
_Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class _Repository(msgspec.Struct, frozen=True):
    full_name: _Name


class _Ref(msgspec.Struct, frozen=True):
    sha: _Sha


class _PullRequest(msgspec.Struct, frozen=True):
    number: _Id
    head: _Ref
    base: _Ref


class _Installation(msgspec.Struct, frozen=True):
    id: _Id


class _Account(msgspec.Struct, frozen=True):
    login: _Name


class _AnyEvent(msgspec.Struct, frozen=True):
    action: _Action | None = None
    repository: _Repository | None = None
    installation: _Installation | None = None
    sender: _Account | None = None


class _PullRequestEvent(msgspec.Struct, frozen=True):
    action: _Action
    pull_request: _PullRequest
    repository: _Repository
    installation: _Installation | None = None
    sender: _Account | None = None


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """What one delivery is about.

    The PR fields are set for pull_request events; a CI event (``ci``) sets the repository, its
    head and its first pull request, if the payload names one.
    """

    event: str
    action: str | None = None
    repository: str | None = None
    pr_number: int | None = None
    head_sha: str | None = None
    base_sha: str | None = None
    installation_id: int | None = None
    sender: str | None = None
    ci: CiRun | None = None


_any_decoder = msgspec.json.Decoder(_AnyEvent)
_pull_request_decoder = msgspec.json.Decoder(_PullRequestEvent)


def decode_delivery(event: str, body: bytes) -> Delivery:
    """Decode a delivery's body; raise ``InvalidPayload`` if it is not JSON or lacks what we use."""
    try:
        if event == "pull_request":
            return _pull_request(_pull_request_decoder.decode(body))
        other = _any_decoder.decode(body)
        if event in CI_EVENTS and other.action == "completed":
            # Only a completed run is read; its fields are then required.
            return _ci(event, decode_ci_run(event, body), other)
        return _other(event, other)
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"the {event} payload lacks what Grimoire needs: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidPayload(f"the body is not valid JSON: {exc}") from exc
    except RecursionError:  # msgspec recurses per level: 1,000 levels exhaust the stack
        raise InvalidPayload("the body is JSON nested too deeply") from None


class _Updated(msgspec.Struct, frozen=True):
    updated_at: datetime | None = None


class _UpdatedEvent(msgspec.Struct, frozen=True):
    pull_request: _Updated


_updated_decoder = msgspec.json.Decoder(_UpdatedEvent)


def pull_updated_at(body: bytes) -> datetime | None:
    """Return the ``pull_request.updated_at`` a pull_request delivery's body states, if any.

    It is signed with the body and set by GitHub when the event happened (a push moves it on),
    so it orders two deliveries for one pull request even when one is replayed later under a
    new delivery id. ``None`` for a body without it (or emptied by retention).
    """
    try:
        moment = _updated_decoder.decode(body).pull_request.updated_at
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    if moment is None or moment.tzinfo is None:
        return None
    return moment


_MAX_REASON = 200


def form_payload(body: bytes) -> bytes:
    """Return the JSON document of a delivery GitHub sent as a form (``payload=<json>``).

    A webhook's content type may be ``application/x-www-form-urlencoded`` (GitHub's default in
    its settings page) instead of ``application/json``; the signature covers the form body.
    """
    try:
        # Percent-encoded, so ASCII; the values are UTF-8 once decoded.
        fields = parse_qs(
            body.decode("ascii"), keep_blank_values=True, strict_parsing=True, errors="strict"
        )
    except ValueError as exc:  # UnicodeDecodeError included
        # parse_qs quotes the offending field whole: a 1 MiB field would be echoed back.
        reason = str(exc)
        if len(reason) > _MAX_REASON:
            reason = reason[:_MAX_REASON] + "…"
        raise InvalidPayload(f"the form-encoded body is malformed: {reason}") from exc
    payload = fields.get("payload")
    if not payload or not payload[0]:
        raise InvalidPayload(
            "a form-encoded delivery carries its JSON in a payload field, and this one has none"
        )
    return payload[0].encode()


def _pull_request(payload: _PullRequestEvent) -> Delivery:
    pr = payload.pull_request
    return Delivery(
        event="pull_request",
        action=payload.action,
        repository=payload.repository.full_name,
        pr_number=pr.number,
        head_sha=pr.head.sha,
        base_sha=pr.base.sha,
        installation_id=payload.installation.id if payload.installation else None,
        sender=payload.sender.login if payload.sender else None,
    )


def _ci(event: str, run: CiRun, payload: _AnyEvent) -> Delivery:
    return Delivery(
        event=event,
        action=run.action,
        repository=run.repository,
        pr_number=run.pull_requests[0] if run.pull_requests else None,
        head_sha=run.head_sha,
        installation_id=run.installation_id,
        sender=payload.sender.login if payload.sender else None,
        ci=run,
    )


def _other(event: str, payload: _AnyEvent) -> Delivery:
    return Delivery(
        event=event,
        action=payload.action,
        repository=payload.repository.full_name if payload.repository else None,
        installation_id=payload.installation.id if payload.installation else None,
        sender=payload.sender.login if payload.sender else None,
    )
