"""The starter spellbooks shipped with Grimoire, YAML files loaded together by ``spells seed``:

- the error book (``ERROR_FILES``): known errors of CI and tool output, one file per ecosystem;
- the code book (``CODE_FILES``): code that should not be merged (leaked credentials, debugger
  leftovers, insecure calls, deprecated APIs, conflict markers, workflow hazards), each spell
  scoped to the files it is about with ``applies_to``.

``parse_spellbook`` is pure (text in, drafts out); ``load_starter_spellbook`` reads the files
shipped in this package. A draft has no id: the database gives one when it is stored, and
``SpellDraft.record(spell_id)`` makes the matcher's ``SpellRecord`` from it.
"""

from __future__ import annotations

from importlib import resources

import msgspec
import yaml

from grimoire.core.matching import SpellRecord

ERROR_FILES = (
    "python.yaml",
    "javascript.yaml",
    "c_cpp.yaml",
    "rust.yaml",
    "go.yaml",
    "java.yaml",
    "docker.yaml",
    "ci.yaml",
)
CODE_FILES = (
    "code_secrets.yaml",
    "code_python.yaml",
    "code_javascript.yaml",
    "code_go_java.yaml",
    "code_shell_docker.yaml",
    "code_workflows.yaml",
)
STARTER_FILES = ERROR_FILES + CODE_FILES


class SpellDraft(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A spell before it is stored: every field of a spell but its id."""

    title: str
    description: str
    error_type: str
    error_pattern: str
    solution_code: str
    tags: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    generic: bool = False
    applies_to: str = ""

    def record(self, spell_id: int) -> SpellRecord:
        """Return this draft as the matcher's record with the given id."""
        return SpellRecord(id=spell_id, **msgspec.structs.asdict(self))

    @property
    def tag_string(self) -> str:
        """The tags as the API writes them: comma-separated."""
        return ",".join(self.tags)


def parse_spellbook(text: str) -> list[SpellDraft]:
    """Parse a YAML (or JSON) list of spells; raise ``ValueError`` naming where it is malformed.

    A syntax error is one line with its position (``line 3, column 7: ...``); a spell of the
    wrong shape names its index.
    """
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        raise ValueError(_position(exc)) from exc
    except yaml.YAMLError as exc:
        raise ValueError(" ".join(str(exc).split())) from exc
    if data is None:
        return []
    if not isinstance(data, list):
        raise ValueError("a spellbook file is a YAML list of spells")
    drafts = []
    for index, entry in enumerate(data):
        try:
            drafts.append(msgspec.convert(entry, SpellDraft))
        except msgspec.ValidationError as exc:
            raise ValueError(f"spell [{index}]: {exc}") from exc
    return drafts


def _position(exc: yaml.MarkedYAMLError) -> str:
    mark = exc.problem_mark or exc.context_mark
    problem = " ".join(f"{exc.context or ''} {exc.problem or ''}".split()) or "malformed"
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def load_starter_spellbook(files: tuple[str, ...] = STARTER_FILES) -> list[SpellDraft]:
    """Return the spells shipped in this package, file by file in ``files`` order (both books)."""
    folder = resources.files(__name__)
    return [
        draft
        for name in files
        for draft in parse_spellbook(folder.joinpath(name).read_text(encoding="utf-8"))
    ]


def load_code_spellbook() -> list[SpellDraft]:
    """Return the code book alone: code that should not be merged."""
    return load_starter_spellbook(CODE_FILES)
