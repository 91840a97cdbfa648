"""Request and response bodies as msgspec Structs; the spell's are derived from ``SpellFields``.

The same Structs produce the OpenAPI document (``grimoire.web.openapi``), so the documented
schema and the enforced one cannot drift apart.
"""

from __future__ import annotations

import functools
import operator
from datetime import datetime
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import msgspec

from grimoire.core.spell import SpellFields
from grimoire.errors import FieldError, InvalidPayload, ValidationFailed
from grimoire.validation import field_error as field_error
from grimoire.validation import validate as validate

T = TypeVar("T")


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


class SpellIn(SpellFields, frozen=True, kw_only=True):
    """A spell as clients write it (create, full update)."""


def _patch_struct() -> type[msgspec.Struct]:
    """Every field of ``SpellFields``, each optional: the PATCH body."""
    fields = [
        (field.name, field.type | msgspec.UnsetType, msgspec.UNSET)
        for field in msgspec.structs.fields(SpellFields)
    ]
    doc = """Some fields of a spell, to change with PATCH; the fields left out keep their values.

    The spell that results is checked as a whole, like a PUT.
    """
    # Only documents the body: the handler merges the fields sent into the stored spell and
    # checks the merge with check_spell (SpellFields), so the rules are declared once.
    return msgspec.defstruct(
        "SpellPatch",
        fields,
        frozen=True,
        kw_only=True,
        forbid_unknown_fields=True,
        module=__name__,
        namespace={"__doc__": doc},
    )


def _out_struct() -> type[msgspec.Struct]:
    """The id, every field of ``SpellFields`` as stored (no input rules), the timestamps."""
    fields: list[tuple[str, Any]] = [("id", int)]
    fields += [(f.name, plain_type(f.type)) for f in msgspec.structs.fields(SpellFields)]
    fields += [("created_at", datetime), ("updated_at", datetime)]
    return msgspec.defstruct(
        "SpellOut",
        fields,
        frozen=True,
        kw_only=True,
        module=__name__,
        namespace={"__doc__": "A stored spell."},
    )


def plain_type(annotation: Any) -> Any:
    """Return ``annotation`` without its ``Annotated`` rules, at any depth (``list[str]``)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return plain_type(args[0])
    if origin in (Union, UnionType):
        return functools.reduce(operator.or_, (plain_type(arg) for arg in args))
    if origin is list:
        return list.__class_getitem__(plain_type(args[0]))
    return annotation


SpellPatch = _patch_struct()
SpellOut = _out_struct()
SpellOutList: Any = list.__class_getitem__(SpellOut)  # list[SpellOut], for a class made at runtime


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
