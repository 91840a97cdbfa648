"""The error payload: what the extractors produce and the matcher ranks spells for."""

from __future__ import annotations

import msgspec


class ErrorPayload(msgspec.Struct, frozen=True, kw_only=True):
    """One error: its type, message, surrounding text and stack trace, and where it was found.

    ``path`` and ``line`` locate it in a diff (the new file's path and line number); both are
    ``None`` for errors that come from a CI log or from ``POST /api/match``.
    """

    error_type: str
    message: str
    context: str = ""
    stack_trace: str = ""
    path: str | None = None
    line: int | None = None
