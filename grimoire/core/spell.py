"""The spell's shape, declared once: every field a client writes, with its rules and its docs.

``SpellFields`` is the one declaration. The API's request and response bodies and their OpenAPI
schemas (``grimoire.web.schemas``), the check every spell passes before it is stored, from the API
or a YAML file (``grimoire.spellcheck``), the storage mapping (``grimoire.storage.spells``) and the
YAML import and export (``grimoire.spellbook``) all take their field list from it. A new spell
field is a field here, a column (and its migration) in ``grimoire.storage.tables``, and whatever
the matcher does with it.
"""

from __future__ import annotations

from typing import Annotated, Final

import msgspec

# PostgreSQL cannot store NUL in text, and a title of spaces is no title: both are refused by
# the schema itself, so clients see the rule in the OpenAPI document.
TEXT_RULE = r"^[^\x00]*[^\x00\s][^\x00]*$"
NO_NUL_RULE = r"^[^\x00]*$"
PATTERN_HINTS = {
    TEXT_RULE: "must contain a non-blank character and no NUL (\\u0000) characters",
    NO_NUL_RULE: "must not contain NUL (\\u0000) characters",
}

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=TEXT_RULE)]
Text = Annotated[str, msgspec.Meta(min_length=1, pattern=TEXT_RULE)]
ErrorType = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=TEXT_RULE)]
Tags = Annotated[
    str,
    msgspec.Meta(
        pattern=NO_NUL_RULE, description="Comma-separated tags, e.g. `python,sqlalchemy`."
    ),
]
AppliesTo = Annotated[
    str,
    msgspec.Meta(
        max_length=2000,
        pattern=NO_NUL_RULE,
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
        pattern=TEXT_RULE,
        description=(
            "An RE2 regular expression matched against error messages and added diff lines. "
            "Look-arounds and back-references are refused: patterns run in linear time on "
            "untrusted pull-request text."
        ),
    ),
]
Example = Annotated[str, msgspec.Meta(min_length=1, max_length=10_000, pattern=NO_NUL_RULE)]
Examples = Annotated[list[Example], msgspec.Meta(max_length=50)]


class SpellFields(msgspec.Struct, frozen=True, kw_only=True):
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


SPELL_FIELDS: Final[tuple[str, ...]] = tuple(f.name for f in msgspec.structs.fields(SpellFields))
"""The names of a spell's fields, in order (``id`` and the timestamps are the store's)."""
