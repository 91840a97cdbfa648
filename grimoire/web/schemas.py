"""Request and response bodies as msgspec Structs, and the one way requests are validated.

The same Structs produce the OpenAPI document (``grimoire.web.openapi``), so the documented
schema and the enforced one cannot drift apart.
"""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, TypeVar, cast, get_args, get_origin

import msgspec

from grimoire.errors import FieldError, InvalidPayload, ValidationFailed

T = TypeVar("T")

# PostgreSQL cannot store NUL in text, and a title of spaces is no title: both are refused by
# the schema itself, so clients see the rule in the OpenAPI document.
_TEXT = r"^[^\x00]*[^\x00\s][^\x00]*$"
_NO_NUL = r"^[^\x00]*$"
_PATTERN_HINTS = {
    _TEXT: "must contain a non-blank character and no NUL (\\u0000) characters",
    _NO_NUL: "must not contain NUL (\\u0000) characters",
}

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=_TEXT)]
Text = Annotated[str, msgspec.Meta(min_length=1, pattern=_TEXT)]
ErrorType = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_TEXT)]
Tags = Annotated[
    str,
    msgspec.Meta(pattern=_NO_NUL, description="Comma-separated tags, e.g. `python,sqlalchemy`."),
]
AppliesTo = Annotated[
    str,
    msgspec.Meta(
        max_length=2000,
        pattern=_NO_NUL,
        description=(
            "Comma-separated path globs of the files the spell fires on, e.g. `*.py,*.pyi` or "
            "`.github/workflows/*.yml`; `!glob` excludes. A glob without `/` matches the file "
            "name, one with `/` the whole path. Empty: every file. A spell with globs never fires "
            "on vendored code (vendor/, node_modules/, third_party/, *.min.js) unless a glob "
            "names that directory. Texts without a path (CI logs, /api/match) are not restricted."
        ),
    ),
]
Pattern = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        pattern=_TEXT,
        description=(
            "An RE2 regular expression matched against error messages and added diff lines. "
            "Look-arounds and back-references are refused: patterns run in linear time on "
            "untrusted pull-request text."
        ),
    ),
]


class FieldErrorBody(msgspec.Struct, frozen=True):
    """One offending field of a 422."""

    path: str
    message: str


class ErrorBody(msgspec.Struct, frozen=True, omit_defaults=True):
    """Every error answer, whatever the status."""

    detail: str
    error_code: str
    timestamp: datetime
    errors: list[FieldErrorBody] | None = None


Example = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=_NO_NUL)]
Examples = Annotated[list[Example], msgspec.Meta(max_length=50)]


class SpellIn(msgspec.Struct, frozen=True, kw_only=True):
    """A spell as clients write it (create, full update)."""

    title: Title
    description: Text
    error_type: ErrorType
    error_pattern: Pattern
    solution_code: Text
    tags: Tags | None = None
    examples: Annotated[
        Examples, msgspec.Meta(description="Texts the pattern must match (checked on write).")
    ] = []
    counter_examples: Annotated[
        Examples, msgspec.Meta(description="Texts the pattern must not match (checked on write).")
    ] = []
    generic: Annotated[
        bool,
        msgspec.Meta(
            description="A catch-all (e.g. 'Segmentation fault'): shown only when no specific "
            "spell matches the same error."
        ),
    ] = False
    applies_to: AppliesTo = ""


class SpellPatch(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Some fields of a spell, to change with PATCH; the fields left out keep their values.

    The spell that results is checked as a whole, like a PUT.
    """

    # Only documents the body: the handler merges the fields sent into the stored spell and
    # checks the merge with check_spell (SpellIn), so the rules are declared once.

    title: Title | msgspec.UnsetType = msgspec.UNSET
    description: Text | msgspec.UnsetType = msgspec.UNSET
    error_type: ErrorType | msgspec.UnsetType = msgspec.UNSET
    error_pattern: Pattern | msgspec.UnsetType = msgspec.UNSET
    solution_code: Text | msgspec.UnsetType = msgspec.UNSET
    tags: Tags | msgspec.UnsetType | None = msgspec.UNSET
    examples: Examples | msgspec.UnsetType = msgspec.UNSET
    counter_examples: Examples | msgspec.UnsetType = msgspec.UNSET
    generic: bool | msgspec.UnsetType = msgspec.UNSET
    applies_to: AppliesTo | msgspec.UnsetType = msgspec.UNSET


class SpellOut(msgspec.Struct, frozen=True, kw_only=True):
    """A stored spell."""

    id: int
    title: str
    description: str
    error_type: str
    error_pattern: str
    solution_code: str
    tags: str | None
    examples: list[str]
    counter_examples: list[str]
    generic: bool
    applies_to: str
    created_at: datetime
    updated_at: datetime


def decode_json(raw: bytes) -> Any:
    """Decode a JSON body, or raise ``InvalidPayload`` (400) saying why it is not JSON.

    An empty body is a 422 that says so: msgspec's "Input data was truncated" tells nobody that
    the body was missing.
    """
    if not raw.strip():
        raise ValidationFailed(
            "the request body is empty", [FieldError("body", "is required: send a JSON object")]
        )
    try:
        return msgspec.json.decode(raw)
    except msgspec.DecodeError as exc:
        raise InvalidPayload(f"the request body is not valid JSON: {exc}") from exc
    except RecursionError:
        # msgspec recurses once per level: ~1,000 levels (2 KB of brackets) exhaust the stack.
        raise InvalidPayload("the request body is JSON nested too deeply") from None


def decode_body(raw: bytes, cls: type[T]) -> T:
    """Decode and validate a JSON body into ``cls``, naming every offending field on a 422."""
    return validate(decode_json(raw), cls, root="body")


def validate(data: Any, cls: type[T], *, root: str) -> T:
    """Convert ``data`` into the Struct ``cls``; a 422 lists every failing field, not just one."""
    if not isinstance(data, dict):
        raise ValidationFailed(
            "the request body does not match its schema",
            [FieldError(root, "must be a JSON object")],
        )
    try:
        return msgspec.convert(data, cls)
    except msgspec.ValidationError:
        pass  # msgspec names the first bad field; find all of them
    errors: list[FieldError] = []
    for field in _fields(cast("type[msgspec.Struct]", cls)):
        path = f"{root}.{field.encode_name}"
        if field.encode_name not in data:
            if field.required:
                errors.append(FieldError(path, "is required"))
            continue
        value = data[field.encode_name] = _json_integer(data[field.encode_name], field.type)
        try:
            msgspec.convert(value, field.type)
        except msgspec.ValidationError as exc:
            errors.append(field_error(exc, path))
    if errors:
        raise ValidationFailed("the request body does not match its schema", errors)
    return msgspec.convert(data, cls)


@functools.cache
def _fields(cls: type[msgspec.Struct]) -> tuple[msgspec.structs.FieldInfo, ...]:
    # Computed from the class's annotations on every call otherwise: ~0.2 ms per request.
    return msgspec.structs.fields(cls)


def _json_integer(value: Any, annotation: Any) -> Any:
    """Return ``1.0`` as ``1`` for an integer field: JSON (and JSON Schema) make no difference."""
    if isinstance(value, float) and value.is_integer() and _base_type(annotation) is int:
        return int(value)
    return value


def _base_type(annotation: Any) -> Any:
    return get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation


def field_error(exc: msgspec.ValidationError, path: str) -> FieldError:
    """Turn msgspec's message (``Expected ... - at `$[0]```) into a path and a plain message."""
    message, _, where = str(exc).partition(" - at `$")
    suffix = where.rstrip("`")
    for pattern, hint in _PATTERN_HINTS.items():
        if pattern.replace("\\", "\\\\") in message:
            message = hint
    return FieldError(path + suffix, message)
