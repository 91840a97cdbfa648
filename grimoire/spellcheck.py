"""The one set of rules every spell passes before it is stored, from the API or from a file.

``check_spell`` is what ``POST``/``PUT``/``PATCH /api/spells`` and ``grimoire spells import``
(and ``seed``) run: the schema of ``SpellFields`` (lengths, no blank text, no NUL), an RE2 pattern,
and the examples and counter-examples against it. Every problem is reported, not just the first.
"""

from __future__ import annotations

from typing import Any

import msgspec

from grimoire.core.matching import example_problems
from grimoire.core.patterns import pattern_problem
from grimoire.core.spell import SpellFields
from grimoire.errors import FieldError, InvalidSpell, ValidationFailed
from grimoire.validation import validate


def check_spell(data: Any, *, root: str = "body") -> dict[str, Any]:
    """Return the spell's fields to store, or raise ``InvalidSpell`` listing every problem."""
    errors: list[FieldError] = []
    spell: SpellFields | None = None
    try:
        spell = validate(data, SpellFields, root=root)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    pattern = data.get("error_pattern") if isinstance(data, dict) else None
    if isinstance(pattern, str) and pattern and (problem := pattern_problem(pattern)):
        errors.append(FieldError(f"{root}.error_pattern", problem))
    elif spell is not None:
        for error in example_problems(spell.error_pattern, spell.examples, spell.counter_examples):
            errors.append(FieldError(root + error.path.removeprefix("body"), error.message))
    if errors or spell is None:
        raise InvalidSpell("the spell is not valid", errors)
    return msgspec.structs.asdict(spell)
