"""Every error Grimoire raises on purpose, each with a stable ``error_code``.

The tree::

    GrimoireError
    ├── ConfigError                   a setting is missing or malformed (refuses to start)
    ├── InvalidPayload                a request body or header is unusable (400)
    ├── InvalidSignature              the webhook signature does not verify (401)
    ├── Unauthorized                  /api/* without the API token (401)
    ├── NotFound                      (404)
    │   ├── RouteNotFound
    │   ├── SpellNotFound
    │   ├── DeliveryNotFound
    │   └── AnalysisNotFound
    ├── MethodNotAllowed              (405)
    ├── Conflict                      the request contradicts the resource's state (409)
    ├── RequestTimeout                the body did not arrive in time (408)
    ├── PayloadTooLarge               (413)
    ├── RateLimited                   a client over API_RATE_LIMIT on /api/* (429, Retry-After)
    ├── UnsupportedMediaType          a JSON route sent another content type (415)
    ├── HeadersTooLarge               too many header fields (431)
    ├── RequestLineTooLong            (414)
    ├── ValidationFailed              the body or query fails its schema (422), ``errors`` by field
    │   └── InvalidSpell              a spell fails a rule beyond its schema (RE2, its examples)
    ├── UnusableJob                   a queued delivery lacks what its source needs (final)
    ├── ServiceUnavailable            (503)
    │   ├── WebhookNotConfigured      no webhook secret is set
    │   ├── ServerBusy                every body slot is taken: retry shortly
    │   └── DatabaseUnavailable
    └── GitHubError                   the GitHub REST API failed us
        ├── GitHubUnavailable         transient: connection, timeout, 5xx (retry later)
        ├── GitHubRateLimited         primary or secondary rate limit (retry at ``retry_at``)
        ├── GitHubRejected            permanent: 401, 403, 404, 422 (``status`` says which)
        └── DiffTooLarge              past GitHub's diff limits (406, 422) or ours (``status`` None)

This module imports only the standard library, so the pure core may raise from it. HTTP statuses
live in ``grimoire.web.responses``, not here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class FieldError:
    """One offending field: its path (``body.title``, ``query.limit``) and what is wrong."""

    path: str
    message: str


class GrimoireError(Exception):
    """Base of every error Grimoire raises on purpose."""

    error_code: ClassVar[str] = "INTERNAL_ERROR"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConfigError(GrimoireError):
    error_code = "CONFIG_ERROR"


class InvalidPayload(GrimoireError):
    error_code = "INVALID_PAYLOAD"


class InvalidSignature(GrimoireError):
    error_code = "INVALID_SIGNATURE"


class Unauthorized(GrimoireError):
    error_code = "UNAUTHORIZED"


class NotFound(GrimoireError):
    error_code = "NOT_FOUND"


class RouteNotFound(NotFound):
    error_code = "ROUTE_NOT_FOUND"


class SpellNotFound(NotFound):
    error_code = "SPELL_NOT_FOUND"

    def __init__(self, spell_id: int) -> None:
        super().__init__(f"spell {spell_id} does not exist")
        self.spell_id = spell_id


class DeliveryNotFound(NotFound):
    error_code = "DELIVERY_NOT_FOUND"

    def __init__(self, delivery_id: str) -> None:
        super().__init__(f"delivery {delivery_id!r} does not exist")
        self.delivery_id = delivery_id


class AnalysisNotFound(NotFound):
    error_code = "ANALYSIS_NOT_FOUND"

    def __init__(self, analysis_id: int) -> None:
        super().__init__(f"analysis {analysis_id} does not exist")
        self.analysis_id = analysis_id


class MethodNotAllowed(GrimoireError):
    error_code = "METHOD_NOT_ALLOWED"


class Conflict(GrimoireError):
    error_code = "CONFLICT"


class PayloadTooLarge(GrimoireError):
    error_code = "PAYLOAD_TOO_LARGE"

    def __init__(self, limit: int) -> None:
        super().__init__(f"the request body is larger than {limit} bytes")
        self.limit = limit


class RateLimited(GrimoireError):
    error_code = "RATE_LIMITED"

    def __init__(self, limit: str, retry_after: int) -> None:
        super().__init__(f"over the rate limit of {limit}; retry in {retry_after} s")
        self.limit = limit
        self.retry_after = retry_after


class RequestTimeout(GrimoireError):
    error_code = "REQUEST_TIMEOUT"


class UnsupportedMediaType(GrimoireError):
    error_code = "UNSUPPORTED_MEDIA_TYPE"


class HeadersTooLarge(GrimoireError):
    error_code = "HEADERS_TOO_LARGE"


class RequestLineTooLong(GrimoireError):
    error_code = "REQUEST_LINE_TOO_LONG"


class ValidationFailed(GrimoireError):
    error_code = "VALIDATION_ERROR"

    def __init__(self, detail: str, errors: list[FieldError]) -> None:
        super().__init__(detail)
        self.errors = errors


class InvalidSpell(ValidationFailed):
    error_code = "INVALID_SPELL"


class UnusableJob(GrimoireError):
    """A job that no attempt can run: no source reads it, or it lacks a field its source needs."""

    error_code = "UNUSABLE_JOB"


class ServiceUnavailable(GrimoireError):
    error_code = "SERVICE_UNAVAILABLE"


class WebhookNotConfigured(ServiceUnavailable):
    error_code = "WEBHOOK_NOT_CONFIGURED"

    def __init__(self) -> None:
        super().__init__(
            "no webhook secret is configured: set GITHUB_WEBHOOK_SECRET (in the environment or "
            ".env) to the secret of the GitHub webhook, then restart"
        )


class ServerBusy(ServiceUnavailable):
    """Every body slot is taken (HTTP_BODY_SLOTS): expected under load, so not logged."""

    error_code = "SERVER_BUSY"


class DatabaseUnavailable(ServiceUnavailable):
    error_code = "DATABASE_UNAVAILABLE"


class GitHubError(GrimoireError):
    error_code = "GITHUB_ERROR"


class GitHubUnavailable(GitHubError):
    error_code = "GITHUB_UNAVAILABLE"


class GitHubRateLimited(GitHubError):
    error_code = "GITHUB_RATE_LIMITED"

    def __init__(self, detail: str, *, retry_at: datetime) -> None:
        super().__init__(detail)
        self.retry_at = retry_at


class GitHubRejected(GitHubError):
    error_code = "GITHUB_REJECTED"

    def __init__(self, detail: str, *, status: int) -> None:
        super().__init__(detail)
        self.status = status


class DiffTooLarge(GitHubError):
    """The pull request's diff cannot be had as one document: read its files list instead.

    ``status`` is GitHub's refusal (406), or ``None`` when GitHub sent it and it is larger than
    Grimoire reads.
    """

    error_code = "GITHUB_DIFF_TOO_LARGE"

    def __init__(self, detail: str, *, status: int | None) -> None:
        super().__init__(detail)
        self.status = status
