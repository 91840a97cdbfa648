"""The header of one file in git's patch format: its C-quoted names and extended header lines.

https://git-scm.com/docs/diff-format#_generating_patch_text_with_p
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from unidiff.constants import DEV_NULL

HeaderKind = Literal["added", "modified", "deleted", "renamed", "copied"]

EXTENDED_HEADERS = (
    "old mode ", "new mode ", "deleted file mode ", "new file mode ", "copy from ", "copy to ",
    "rename from ", "rename to ", "similarity index ", "dissimilarity index ", "index ",
    "rename old ", "rename new ",
)  # fmt: skip

# git's quote_c_style escapes these by letter and every other control or non-ASCII byte as
# three octal digits: https://git-scm.com/docs/git-config#Documentation/git-config.txt-corequotePath
_LETTER_ESCAPES = {
    "a": 0x07, "b": 0x08, "t": 0x09, "n": 0x0A, "v": 0x0B, "f": 0x0C, "r": 0x0D,
    '"': 0x22, "\\": 0x5C,
}  # fmt: skip
_OCTAL_DIGITS = frozenset("01234567")


def take_quoted(text: str) -> tuple[str, str] | None:
    """Read the C-quoted name ``text`` starts with; return it unquoted and the text after it."""
    raw = bytearray()
    pos = 1
    while pos < len(text):
        char = text[pos]
        if char == '"':
            # Quoted bytes are whatever the filesystem held; replace what is not UTF-8 so the
            # path stays storable and JSON-encodable.
            return raw.decode("utf-8", "replace"), text[pos + 1 :]
        if char != "\\":
            raw += char.encode("utf-8", "surrogatepass")
            pos += 1
            continue
        escape = text[pos + 1 : pos + 2]
        octal = text[pos + 1 : pos + 4]
        if escape in _LETTER_ESCAPES:
            raw.append(_LETTER_ESCAPES[escape])
            pos += 2
        elif len(octal) == 3 and _OCTAL_DIGITS.issuperset(octal):
            raw.append(int(octal, 8) & 0xFF)
            pos += 4
        else:
            return None
    return None


def unquote_name(text: str) -> str:
    """Return a name from an extended header line (``rename from …``), unquoted if quoted."""
    if text.startswith('"'):
        taken = take_quoted(text)
        if taken is not None:
            return taken[0]
    return text


def unquote_side(text: str) -> str:
    """Return the name on a ``---``/``+++`` line, unquoted and without a trailing tab."""
    if text.startswith('"'):
        taken = take_quoted(text)
        if taken is not None:
            return taken[0]
    # Unquoted names never hold a tab (git would quote it), so a tab starts the trailer git
    # adds after names with spaces, or a timestamp in non-git diffs.
    return text.split("\t", 1)[0]


def has_prefix(name: str) -> bool:
    """Tell whether ``name`` starts with a one-letter source/destination prefix such as ``a/``."""
    return len(name) > 2 and name[1] == "/" and name[0] != "/"


def split_header_names(rest: str) -> tuple[str, str] | None:
    """Split the names after ``diff --git `` into the old and new name, prefixes kept."""
    if rest.startswith('"'):
        taken = take_quoted(rest)
        if taken is None or not taken[1].startswith(" "):
            return None
        return taken[0], unquote_side(taken[1][1:])
    quote_at = rest.find(' "')
    # An unquoted name never holds a double quote, so ' "' can only start a quoted new name.
    if quote_at >= 0 and rest.endswith('"'):
        taken = take_quoted(rest[quote_at + 1 :])
        if taken is not None:
            return rest[:quote_at], taken[0]
    return _split_unquoted(rest)


def _split_unquoted(rest: str) -> tuple[str, str] | None:
    # Names may hold spaces and even " b/", so git itself only trusts this line when both names
    # are the same path (git-apply's git_header_name); renames and copies name their paths on
    # their own lines, which the caller prefers.
    middle = len(rest) // 2
    if len(rest) % 2 == 1 and rest[middle] == " ":
        old, new = rest[:middle], rest[middle + 1 :]
        if old == new or (has_prefix(old) and has_prefix(new) and old[2:] == new[2:]):
            return old, new
    for separator in (" b/", " "):
        old, found, new = rest.partition(separator)
        if found and old and new:
            return old, separator[1:] + new
    return None


@dataclass(slots=True)
class GitHeader:
    """What the header lines of one file said: its names, kind and modes."""

    line_no: int
    header_old: str | None = None
    header_new: str | None = None
    prefixed: bool = True
    minus: str | None = None
    plus: str | None = None
    source: str | None = None
    target: str | None = None
    kind: HeaderKind = "modified"
    binary: bool = False
    old_mode: str | None = None
    new_mode: str | None = None
    index_mode: str | None = None

    @property
    def where(self) -> str:
        """Name the file for error messages, with whatever path is known so far."""
        return self.new_name or self.old_name or "?"

    @property
    def old_name(self) -> str | None:
        """Return the old path, from the most exact line that states it."""
        return self.source or self.minus or self._strip(self.header_old)

    @property
    def new_name(self) -> str | None:
        """Return the new path, from the most exact line that states it."""
        return self.target or self.plus or self._strip(self.header_new)

    def read_names(self, rest: str) -> None:
        """Take the names of the ``diff --git`` line (the text after ``diff --git ``)."""
        names = split_header_names(rest)
        if names is not None:
            self.header_old, self.header_new = names
            self.prefixed = has_prefix(names[0]) and has_prefix(names[1])

    def read_sides(self, minus_line: str, plus_line: str) -> None:
        """Take the names of the ``---`` and ``+++`` lines; ``/dev/null`` gives ``None``."""
        self.minus = self._strip(unquote_side(minus_line[4:]))
        self.plus = self._strip(unquote_side(plus_line[4:]))

    def read_extended(self, line: str) -> None:
        """Take one extended header line (mode, rename, copy, index, similarity)."""
        key, _, value = line.partition(" ")
        if line.startswith(("rename from ", "copy from ", "rename old ")):
            self.source = unquote_name(line.split(" ", 2)[2])
            self.kind = "copied" if key == "copy" else "renamed"
        elif line.startswith(("rename to ", "copy to ", "rename new ")):
            self.target = unquote_name(line.split(" ", 2)[2])
        elif line.startswith("new file mode "):
            self.kind, self.new_mode = "added", line[len("new file mode ") :]
        elif line.startswith("deleted file mode "):
            self.kind, self.old_mode = "deleted", line[len("deleted file mode ") :]
        elif key == "old" and value.startswith("mode "):
            self.old_mode = value[len("mode ") :]
        elif key == "new" and value.startswith("mode "):
            self.new_mode = value[len("mode ") :]
        elif key == "index":
            # "index <old>..<new> <mode>" names the mode only when it did not change.
            parts = value.split(" ")
            self.index_mode = parts[1] if len(parts) == 2 else None

    def _strip(self, name: str | None) -> str | None:
        if name is None or name == DEV_NULL:
            return None
        return name[2:] if self.prefixed and has_prefix(name) else name
