"""The spell's shape is declared once (``SpellFields``); every other view of a spell follows it.

A new field added to ``SpellFields`` alone makes these fail until the table has its column and
the matcher's record and the YAML draft carry it; the API bodies and OpenAPI follow by themselves.
"""

from __future__ import annotations

import msgspec

from grimoire.core.matching import SpellRecord
from grimoire.core.spell import SPELL_FIELDS, SpellFields
from grimoire.spellbook import SpellDraft, load_starter_spellbook
from grimoire.spellbook.sync import draft_fields
from grimoire.spellcheck import check_spell
from grimoire.storage.tables import Spell
from grimoire.web.schemas import SpellIn, SpellOut, SpellPatch


def names(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(field.name for field in msgspec.structs.fields(cls))


def test_every_view_of_a_spell_has_exactly_the_declared_fields() -> None:
    assert names(SpellFields) == SPELL_FIELDS
    assert names(SpellIn) == names(SpellPatch) == SPELL_FIELDS
    assert names(SpellOut) == ("id", *SPELL_FIELDS, "created_at", "updated_at")
    assert names(SpellRecord) == ("id", *SPELL_FIELDS)
    assert names(SpellDraft) == SPELL_FIELDS
    columns = tuple(column.name for column in Spell.__table__.columns)
    assert columns == ("id", *SPELL_FIELDS, "created_at", "updated_at")


def test_the_api_bodies_keep_the_declared_rules() -> None:
    schema = msgspec.json.schema(SpellIn)
    title = schema["$defs"]["SpellIn"]["properties"]["title"]
    assert (title["minLength"], title["maxLength"]) == (1, 255)
    patch = msgspec.json.schema(SpellPatch)["$defs"]["SpellPatch"]
    assert not patch.get("required")
    assert patch["properties"]["title"] == title
    out = msgspec.json.schema(SpellOut)["$defs"]["SpellOut"]
    assert out["required"] == ["id", *SPELL_FIELDS, "created_at", "updated_at"]
    assert out["properties"]["examples"] == {"type": "array", "items": {"type": "string"}}


def test_a_starter_spell_goes_from_yaml_to_the_store_through_the_api_rules() -> None:
    draft = load_starter_spellbook()[0]
    fields = draft_fields(draft)
    assert tuple(fields) == SPELL_FIELDS
    assert check_spell(fields) == fields
