"""Hypothesis properties of parse_diff: generated diffs round-trip, and nothing makes it raise.

The generated diffs come from a small renderer that writes what git writes: C-quoted names
(core.quotepath on or off), names with spaces and `` b/``, the extended header lines, and hunk
content that looks like diff headers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from grimoire.core.diff import ChangeType, FilePatch, ParsedDiff, parse_diff, parse_file_patches

HEADER_LOOKALIKES = [
    "diff --git a/x b/x",
    "-- a/x",
    "++ b/x",
    "--- a/x",
    "+++ b/x",
    "@@ -1 +1 @@",
    "@@ -1,3 +1,4 @@ def f():",
    "\\ No newline at end of file",
    "new file mode 100644",
    "rename from x",
    "Binary files a/x and b/x differ",
    "",
]
# Every break str.splitlines knows, which must stay inside a line.
ODD_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

line_text = st.one_of(
    st.sampled_from(HEADER_LOOKALIKES),
    st.text(
        alphabet=st.one_of(
            st.characters(codec="utf-8", exclude_characters="\n"),
            st.sampled_from(ODD_BREAKS),
        ),
        max_size=12,
    ),
)
segment = st.one_of(
    st.sampled_from(["b", "a b", "x b", "src", "café", "日本", "dev", "null"]),
    st.text(alphabet='ab é日 "\\\t\n\x01\x7f-+@.', min_size=1, max_size=6),
).filter(lambda part: part not in (".", ".."))
path = st.lists(segment, min_size=1, max_size=3).map("/".join)


@dataclass(frozen=True)
class HunkSpec:
    gap: int
    before: list[str]
    removed: list[str]
    added: list[str]
    after: list[str]


@dataclass(frozen=True)
class FileSpec:
    change_type: ChangeType
    path: str
    old_path: str
    binary: bool
    hunks: list[HunkSpec]
    no_newline: bool


def hunk_specs(*, removing: bool, adding: bool) -> st.SearchStrategy[HunkSpec]:
    lines = st.lists(line_text, max_size=4)
    context = lines if removing and adding else st.just([])
    return st.builds(
        HunkSpec,
        gap=st.integers(0, 5) if removing and adding else st.just(0),
        before=context,
        removed=st.lists(line_text, min_size=1, max_size=5) if removing else st.just([]),
        added=st.lists(line_text, min_size=1, max_size=5) if adding else st.just([]),
        after=context,
    )


CHANGE_TYPES: list[ChangeType] = [
    "added", "modified", "deleted", "renamed", "copied", "type_changed",
]  # fmt: skip


@st.composite
def file_specs(draw: st.DrawFn, name: str) -> FileSpec:
    change_type = draw(st.sampled_from(CHANGE_TYPES))
    if change_type in ("added", "deleted"):
        one = hunk_specs(removing=change_type == "deleted", adding=change_type == "added")
        hunks = draw(st.lists(one, max_size=1))  # no hunk: an empty file
    elif change_type == "type_changed":
        hunks = [draw(hunk_specs(removing=True, adding=False))]
    else:
        hunks = draw(st.lists(hunk_specs(removing=True, adding=True), max_size=3))
    moved = change_type in ("renamed", "copied")
    binary = change_type != "type_changed" and draw(st.booleans())
    return FileSpec(
        change_type=change_type,
        path=name,
        old_path=draw(path.filter(lambda other: other != name)) if moved else name,
        binary=binary,
        hunks=[] if binary else hunks,
        no_newline=draw(st.booleans()),
    )


@st.composite
def diffs(draw: st.DrawFn) -> tuple[list[FileSpec], bool]:
    names = draw(st.lists(path, min_size=1, max_size=6, unique=True))
    return [draw(file_specs(name)) for name in names], draw(st.booleans())


def quote(name: str, *, quote_path: bool) -> str:
    """Quote a name the way git's quote_c_style does (core.quotePath on or off)."""
    letters = dict(zip(b'\a\b\t\n\v\f\r"\\', 'abtnvfr"\\', strict=True))
    out = bytearray()
    for byte in name.encode():
        if byte in letters:
            out += b"\\" + letters[byte].encode()
        elif byte < 0x20 or byte == 0x7F or (byte >= 0x80 and quote_path):
            out += f"\\{byte:03o}".encode()
        else:
            out.append(byte)
    if len(out) == len(name.encode()):
        return name
    return '"' + out.decode() + '"'


def side(name: str | None, prefix: str, *, quote_path: bool) -> str:
    if name is None:
        return "/dev/null"
    quoted = quote(prefix + name, quote_path=quote_path)
    # git ends a name holding a space with a tab so that patch(1) finds where it stops.
    return quoted + "\t" if quoted == prefix + name and " " in name else quoted


def render_hunks(spec: FileSpec) -> list[str]:
    out: list[str] = []
    old_next = new_next = 1
    for hunk in spec.hunks:
        old_start, new_start = old_next + hunk.gap, new_next + hunk.gap
        old_length = len(hunk.before) + len(hunk.removed) + len(hunk.after)
        new_length = len(hunk.before) + len(hunk.added) + len(hunk.after)
        out.append(f"@@ -{span(old_start, old_length)} +{span(new_start, new_length)} @@ section")
        out += [" " + text for text in hunk.before]
        out += ["-" + text for text in hunk.removed]
        out += ["+" + text for text in hunk.added]
        out += [" " + text for text in hunk.after]
        old_next, new_next = old_start + old_length, new_start + new_length
    if out and spec.no_newline:
        out.append("\\ No newline at end of file")
    return out


def span(start: int, length: int) -> str:
    # git prints the line before an empty range, and leaves out a length of one.
    if length == 0:
        return f"{start - 1},0"
    return str(start) if length == 1 else f"{start},{length}"


def render_file(spec: FileSpec, *, quote_path: bool) -> list[str]:
    if spec.change_type == "type_changed":
        gone = FileSpec("deleted", spec.path, spec.path, False, spec.hunks, False)
        link = FileSpec(
            "added", spec.path, spec.path, False, [HunkSpec(0, [], [], ["t"], [])], True
        )
        return render_one(gone, quote_path, mode="100644") + render_one(
            link, quote_path, mode="120000"
        )
    return render_one(spec, quote_path, mode="100644")


def render_one(spec: FileSpec, quote_path: bool, *, mode: str) -> list[str]:
    kind = spec.change_type
    old = None if kind == "added" else spec.old_path
    new = None if kind == "deleted" else spec.path
    a = quote("a/" + spec.old_path, quote_path=quote_path)
    b = quote("b/" + spec.path, quote_path=quote_path)
    lines = [f"diff --git {a} {b}"]
    if kind in ("renamed", "copied"):
        verb = "rename" if kind == "renamed" else "copy"
        lines += [
            "similarity index 90%",
            f"{verb} from {quote(spec.old_path, quote_path=quote_path)}",
        ]
        lines.append(f"{verb} to {quote(spec.path, quote_path=quote_path)}")
    elif kind == "added":
        lines.append(f"new file mode {mode}")
    elif kind == "deleted":
        lines.append(f"deleted file mode {mode}")
    elif not spec.hunks and not spec.binary:
        lines += ["old mode 100644", "new mode 100755"]
    if spec.binary:
        lines.append(
            f"Binary files {side(old, 'a/', quote_path=quote_path)} and"
            f" {side(new, 'b/', quote_path=quote_path)} differ"
        )
    elif spec.hunks:
        lines += [
            "index 1234567..89abcde" + (f" {mode}" if kind not in ("added", "deleted") else "")
        ]
        lines += [f"--- {side(old, 'a/', quote_path=quote_path)}"]
        lines += [f"+++ {side(new, 'b/', quote_path=quote_path)}", *render_hunks(spec)]
    return lines  # fmt: skip


def render(specs: list[FileSpec], *, quote_path: bool) -> bytes:
    lines = [line for spec in specs for line in render_file(spec, quote_path=quote_path)]
    return ("\n".join(lines) + "\n").encode()


def assert_invariants(parsed: ParsedDiff) -> None:
    """New-file line numbers increase within each hunk; counts equal the lines kept."""
    assert isinstance(parsed, ParsedDiff)
    for change in parsed.files:
        assert change.additions == sum(len(hunk.added) for hunk in change.hunks)
        assert change.deletions == sum(len(hunk.removed) for hunk in change.hunks)
        for hunk in change.hunks:
            numbers = [line.number for line in hunk.added]
            assert all(a < b for a, b in itertools.pairwise(numbers))
            numbers = [line.number for line in hunk.removed]
            assert all(a < b for a, b in itertools.pairwise(numbers))


# Property: every changed file is extracted with its path and change type preserved (with its
# old path, binary flag, counts, and each added line's text and new-file number).
@settings(max_examples=300, deadline=None)
@given(diffs())
def test_generated_diffs_round_trip(generated: tuple[list[FileSpec], bool]) -> None:
    specs, quote_path = generated
    parsed = parse_diff(render(specs, quote_path=quote_path))
    assert parsed.errors == ()
    assert [(f.change_type, f.path, f.old_path, f.binary) for f in parsed.files] == [
        (
            spec.change_type,
            spec.path,
            spec.old_path if spec.change_type in ("renamed", "copied") else None,
            spec.binary,
        )
        for spec in specs
    ]
    for spec, change in zip(specs, parsed.files, strict=True):
        expected_added = [text for hunk in spec.hunks for text in hunk.added]
        if spec.change_type == "type_changed":
            expected_added = ["t"]
        assert [line.text for hunk in change.hunks for line in hunk.added] == expected_added
        assert change.additions == len(expected_added)
    assert_invariants(parsed)


# Property: new-file line numbers strictly increase within each hunk, and additions equals the
# number of added lines, whatever the (generated) diff.
@settings(max_examples=200, deadline=None)
@given(diffs())
def test_line_numbers_increase_within_hunks(generated: tuple[list[FileSpec], bool]) -> None:
    specs, quote_path = generated
    assert_invariants(parse_diff(render(specs, quote_path=quote_path)))


# Property: parse_diff never raises, on any bytes or text.
@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=400), st.text(max_size=400)))
def test_arbitrary_input_never_raises(data: bytes | str) -> None:
    assert_invariants(parse_diff(data))


SEED_DIFF = render(
    [
        FileSpec("modified", "src/app.py", "src/app.py", False,
                 [HunkSpec(2, ["a"], ["b"], ["c", "d"], ["e"]), HunkSpec(3, [], ["x"], [], ["y"])],
                 True),
        FileSpec("renamed", "x b/y.txt", "old b/y.txt", False, [], False),
        FileSpec("added", "café.txt", "café.txt", False, [HunkSpec(0, [], [], ["+++ b/x"], [])],
                 False),
        FileSpec("type_changed", "link", "link", False, [HunkSpec(0, [], ["t"], [], [])], False),
        FileSpec("copied", "bin/new.png", "bin/old.png", True, [], False),
    ],
    quote_path=True,
)  # fmt: skip


@st.composite
def mutated_diffs(draw: st.DrawFn) -> bytes:
    data = bytearray(SEED_DIFF)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "flip"]))
        if action == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif action == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"\n",
                        b"@@ -1 +1 @@\n",
                        b"diff --git a/q b/q\n",
                        b"+",
                        b"-",
                        b"\\",
                        b'"',
                        b"\xff",
                        b"\r",
                    ]
                )
            )
        elif action == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 80))]
        elif action == "truncate":
            del data[at:]
        elif at < len(data):
            data[at] = draw(st.integers(0, 255))
    return bytes(data)  # fmt: skip


# Property: parse_diff never raises on mutations (cuts, insertions, flipped bytes) of real diffs.
@settings(max_examples=300, deadline=None)
@given(mutated_diffs())
def test_mutated_diffs_never_raise(data: bytes) -> None:
    assert_invariants(parse_diff(data))


def test_seed_diff_parses_cleanly() -> None:
    parsed = parse_diff(SEED_DIFF)
    assert parsed.errors == ()
    assert [f.change_type for f in parsed.files] == [
        "modified", "renamed", "added", "type_changed", "copied",
    ]  # fmt: skip


# Property: parse_file_patches never raises, whatever GitHub's entries hold.
@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.builds(
            FilePatch,
            filename=path,
            status=st.sampled_from(["added", "removed", "modified", "renamed", "changed", "x"]),
            previous_filename=st.none() | path,
            patch=st.none()
            | st.text(max_size=200)
            | st.lists(line_text).map(
                lambda lines: "@@ -1,2 +1,3 @@\n" + "\n".join("+" + line for line in lines)
            ),
            additions=st.integers(0, 10),
            deletions=st.integers(0, 10),
        ),
        max_size=5,
    )
)
def test_file_patches_never_raise(entries: list[FilePatch]) -> None:
    parsed = parse_file_patches(entries)
    # Without a patch the counts are GitHub's, with no lines behind them.
    with_patch = [c for c, e in zip(parsed.files, entries, strict=True) if e.patch is not None]
    assert_invariants(ParsedDiff(files=tuple(with_patch)))


def test_a_type_change_counts_every_line_of_both_halves() -> None:
    # Found by test_mutated_diffs_never_raise: a mangled creation half that removes a line.
    data = (
        b"diff --git a/link b/link\ndeleted file mode 100644\nindex 1234567..89abcde\n"
        b"--- a/link\n+++ /dev/null\n@@ -1 +0,0 @@\n-t\n"
        b"diff --git a/link b/link\nnew file mode +++ /dev/null\n@@ -1 +0,0 @@\n-t\n"
    )
    assert_invariants(parse_diff(data))
