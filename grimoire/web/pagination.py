"""``skip``/``limit`` paging for list routes: parsed once, documented once."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from grimoire.errors import FieldError, ValidationFailed
from grimoire.web.openapi import Param

MAX_LIMIT = 100
MAX_SKIP = 2**31 - 1
MAX_TEXT = 255
TEXT_SCHEMA = {"type": "string", "maxLength": MAX_TEXT, "pattern": r"^[^\x00]*$"}

PAGE_PARAMS = (
    Param(
        "skip",
        {"type": "integer", "minimum": 0, "maximum": MAX_SKIP, "default": 0},
        "How many items to skip.",
    ),
    Param(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": MAX_LIMIT},
        "How many items to return.",
    ),
)


@dataclass(frozen=True)
class Page:
    """Which slice of a list to return."""

    skip: int
    limit: int


def parse_page(request: Request, errors: list[FieldError] | None = None) -> Page:
    """Read ``skip`` and ``limit`` from the query string, naming each one that is invalid.

    With ``errors``, problems are added to it (the caller checks its other parameters, then
    raises once for all); without, they are raised at once.
    """
    found: list[FieldError] = [] if errors is None else errors
    skip = query_int(request, "skip", default=0, low=0, high=MAX_SKIP, errors=found)
    limit = query_int(request, "limit", default=MAX_LIMIT, low=1, high=MAX_LIMIT, errors=found)
    if errors is None:
        raise_if_any(found)
    return Page(skip=skip, limit=limit)


def raise_if_any(errors: list[FieldError]) -> None:
    """Raise one ``ValidationFailed`` naming every invalid query parameter, if there are any."""
    if errors:
        raise ValidationFailed("invalid query parameters", errors)


def query_text(request: Request, name: str, *, errors: list[FieldError]) -> str | None:
    """Read one text query parameter (a filter); record a ``FieldError`` if it cannot be one."""
    raw = request.query_params.get(name)
    if raw is not None and ("\x00" in raw or len(raw) > MAX_TEXT):
        errors.append(FieldError(f"query.{name}", f"must be at most {MAX_TEXT} characters, no NUL"))
        return None
    return raw


def query_int(
    request: Request, name: str, *, default: int, low: int, high: int, errors: list[FieldError]
) -> int:
    """Read one integer query parameter in ``[low, high]``; record a ``FieldError`` if it is not."""
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors.append(FieldError(f"query.{name}", f"must be an integer, got {raw!r}"))
        return default
    if not low <= value <= high:
        errors.append(FieldError(f"query.{name}", f"must be between {low} and {high}"))
        return default
    return value
