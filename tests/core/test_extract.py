"""Extracting errors from diffs and CI logs: signatures, pattern hits, merging, and properties."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grimoire.core.diff import FileChange, Hunk, Line
from grimoire.core.extract import CONTEXT_BEFORE, extract_errors, extract_log_errors
from grimoire.core.joblog import clean_log
from grimoire.core.matching import SpellRecord, compile_spellbook
from grimoire.core.payload import ErrorPayload
from grimoire.spellbook import load_starter_spellbook

STARTER = compile_spellbook(d.record(i) for i, d in enumerate(load_starter_spellbook(), 1))
EMPTY = compile_spellbook([])


def change(
    lines: list[str], *, start: int = 1, path: str = "ci/build.log", **kw: object
) -> FileChange:
    added = tuple(Line(number=start + i, text=text) for i, text in enumerate(lines))
    hunk = Hunk(old_start=0, old_length=0, new_start=start, new_length=len(lines), added=added)
    return FileChange(path=path, old_path=None, change_type="added", hunks=(hunk,), **kw)  # type: ignore[arg-type]


PY_TRACEBACK = [
    "Traceback (most recent call last):",
    '  File "/app/app.py", line 1, in <module>',
    "    import yaml",
    "ModuleNotFoundError: No module named 'yaml'",
]


def test_python_traceback_in_a_diff() -> None:
    [payload] = extract_errors([change(["setup ok", *PY_TRACEBACK], start=10)], STARTER)
    assert payload.error_type == "ModuleNotFoundError"
    assert payload.message == "No module named 'yaml'"
    assert (payload.path, payload.line) == ("ci/build.log", 14)
    assert payload.context.splitlines()[:2] == ["ci/build.log:14", "setup ok"]
    assert payload.stack_trace == "\n".join(PY_TRACEBACK)


def test_binary_and_deleted_files_are_skipped() -> None:
    binary = change(PY_TRACEBACK, binary=True)
    deleted = FileChange(
        path="old.log", old_path="old.log", change_type="deleted", hunks=change(PY_TRACEBACK).hunks
    )
    assert extract_errors([binary, deleted], STARTER) == []


def test_pattern_hit_outside_a_signature_takes_the_spells_type() -> None:
    [payload] = extract_errors(
        [change(["Compiling", "bash: line 1: ./build.sh: Permission denied"])], STARTER
    )
    assert payload.error_type == "PermissionError"
    assert payload.message == "bash: line 1: ./build.sh: Permission denied"
    assert payload.line == 2 and payload.stack_trace == ""


def test_pattern_hit_inside_a_signature_is_merged() -> None:
    lines = ["npm error code E404", "npm error 404 Not Found - GET https://registry.npmjs.org/x"]
    [payload] = extract_errors([change(lines)], STARTER)
    assert (payload.error_type, payload.message, payload.line) == ("NpmError", "code E404", 1)


def test_runs_of_added_lines_do_not_join_across_gaps() -> None:
    first = Hunk(
        old_start=1,
        old_length=0,
        new_start=1,
        new_length=1,
        added=(Line(number=1, text="Traceback (most recent call last):"),),
    )
    second = Hunk(
        old_start=9,
        old_length=0,
        new_start=9,
        new_length=1,
        added=(Line(number=9, text="KeyError: 'x'"),),
    )
    diff = FileChange(path="a.txt", old_path="a.txt", change_type="modified", hunks=(first, second))
    [payload] = extract_errors([diff], EMPTY)
    assert (payload.error_type, payload.line, payload.stack_trace) == (
        "KeyError",
        9,
        "KeyError: 'x'",
    )


@pytest.mark.parametrize(
    ("lines", "error_type", "message"),
    [
        (
            [
                "E       assert -1 == 3",
                "E        +  where -1 = add(1, 2)",
                "",
                "test_math.py:5: AssertionError",
            ],
            "AssertionError",
            "assert -1 == 3",
        ),
        (
            [
                "TypeError: Cannot read properties of undefined (reading 'name')",
                "    at Object.<anonymous> (/app/app.js:2:26)",
            ],
            "TypeError",
            "Cannot read properties of undefined (reading 'name')",
        ),
        (
            [
                'Exception in thread "main" java.lang.NullPointerException: x is null',
                "\tat Main.main(Main.java:4)",
                "Caused by: java.lang.IllegalStateException: y",
            ],
            "java.lang.NullPointerException",
            "x is null",
        ),
        (
            [
                "main.c:1:10: fatal error: foo.h: No such file or directory",
                "    1 | #include <foo.h>",
            ],
            "CompileError",
            "foo.h: No such file or directory",
        ),
        (
            ["src/app.ts(3,7): error TS2322: Type 'string' is not assignable to type 'number'."],
            "TS2322",
            "Type 'string' is not assignable to type 'number'.",
        ),
        (
            ["error[E0382]: borrow of moved value: `v`", " --> src/main.rs:4:27"],
            "E0382",
            "borrow of moved value: `v`",
        ),
        (
            [
                "panic: runtime error: index out of range [5] with length 3",
                "",
                "goroutine 1 [running]:",
                "main.main()",
                "\t/app/main.go:8 +0x1d",
                "exit status 2",
            ],
            "panic",
            "runtime error: index out of range [5] with length 3",
        ),
        (
            [
                "thread 'main' panicked at src/main.rs:3:15:",
                "called `Option::unwrap()` on a `None` value",
            ],
            "panic",
            "called `Option::unwrap()` on a `None` value",
        ),
        (
            ["fatal error: all goroutines are asleep - deadlock!"],
            "fatal error",
            "all goroutines are asleep - deadlock!",
        ),
        (["./main.go:5:2: declared and not used: x"], "CompileError", "declared and not used: x"),
        (["make: *** [Makefile:2: all] Error 1"], "MakeError", "[Makefile:2: all] Error 1"),
        (
            ['ERROR: failed to solve: process "make" did not complete successfully: exit code: 2'],
            "DockerBuildError",
            'failed to solve: process "make" did not complete successfully: exit code: 2',
        ),
        (
            ["ERROR: No matching distribution found for foo==9"],
            "PipError",
            "No matching distribution found for foo==9",
        ),
        (
            ["==1==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x6"],
            "AddressSanitizer",
            "heap-buffer-overflow on address 0x6",
        ),
        (
            ["/app/x.py:6: RuntimeWarning: coroutine 'work' was never awaited"],
            "RuntimeWarning",
            "coroutine 'work' was never awaited",
        ),
        (
            [
                "Error [ERR_MODULE_NOT_FOUND]: Cannot find module '/h.js' imported from /a.mjs",
                "    at finalizeResolution (node:internal/modules/esm/resolve:265:11)",
            ],
            "Error",
            "Cannot find module '/h.js' imported from /a.mjs",
        ),
        (
            ["##[error]Process completed with exit code 2."],
            "ProcessExit",
            "Process completed with exit code 2.",
        ),
    ],
)
def test_signatures(lines: list[str], error_type: str, message: str) -> None:
    [payload] = extract_errors([change(["running", *lines])], EMPTY)
    assert (payload.error_type, payload.message) == (error_type, message)
    message_line = 1 if lines[0].startswith("thread ") else 0  # Rust prints the message below
    assert payload.line == 2 + message_line


def test_log_is_cleaned_and_errors_are_distinct() -> None:
    log = (
        "2024-01-01T00:00:00.0000000Z \x1b[31mTraceback (most recent call last):\x1b[0m\r\n"
        '2024-01-01T00:00:00.0000000Z   File "/app/a.py", line 2, in <module>\n'
        "2024-01-01T00:00:01.0000000Z KeyError: 'port'\n"
        "KeyError: 'port'\n"
        "##[error]Process completed with exit code 1.\n"
    )
    errors = extract_log_errors(log, STARTER)
    assert [(e.error_type, e.message) for e in errors] == [
        ("KeyError", "'port'"),
        ("ProcessExit", "Process completed with exit code 1."),
    ]
    assert errors[0].path is None and errors[0].line is None
    assert errors[0].stack_trace.startswith("Traceback (most recent call last):\n  File")


def test_clean_log() -> None:
    assert clean_log("2024-01-01T00:00:00Z \x1b[1;32mok\x1b[0m\r\nnext\rline") == "ok\nnext\nline"


# Any text, lone surrogates (which JSON "\\ud800" escapes decode to) and control characters too.
ANY_TEXT = st.text() | st.text(st.characters(categories=("Cs", "Cc", "Lu", "Ll", "Nd", "Po", "Zs")))


# Property: extraction never raises, whatever the text of a log or of a diff's added lines.
@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_log_extraction_never_raises(text: str) -> None:
    for payload in extract_log_errors(text, STARTER):
        assert isinstance(payload, ErrorPayload)


@settings(max_examples=150, deadline=None)
@given(st.lists(ANY_TEXT, max_size=30), st.integers(1, 10_000))
def test_diff_extraction_never_raises(lines: list[str], start: int) -> None:
    for payload in extract_errors([change(lines, start=start)], STARTER):
        assert payload.path == "ci/build.log"
        assert payload.line is not None and start <= payload.line < start + len(lines)


# Generated errors of each known kind: (lines, error type, index of the line carrying it).
MESSAGE = (
    st.text(
        st.characters(
            whitelist_categories=("L", "N"), whitelist_characters=" .,:;'\"()[]{}_-/=<>#%"
        ),
        min_size=1,
        max_size=60,
    )
    .map(str.strip)
    .filter(bool)
)
PY_TYPE = st.sampled_from(["ValueError", "KeyError", "app.errors.QuotaError", "OSError"])
JS_TYPE = st.sampled_from(["TypeError", "RangeError", "Error", "SyntaxError"])
JAVA_TYPE = st.sampled_from(["java.lang.IllegalStateException", "com.acme.LedgerException"])

Kind = Callable[[str, str, int], tuple[list[str], str, int]]
KINDS: dict[str, Kind] = {
    "python": lambda t, m, n: (
        [
            "Traceback (most recent call last):",
            f'  File "/app/m.py", line {n}, in run',
            "    run()",
            f"{t}: {m}",
        ],
        t,
        3,
    ),
    "pytest": lambda t, m, n: ([f"E       {t}: {m}", "E        +  where", f"t.py:{n}: {t}"], t, 0),
    "node": lambda t, m, n: ([f"{t}: {m}", f"    at run (/app/x.js:{n}:3)"], t, 0),
    "java": lambda t, m, n: (
        [f'Exception in thread "main" {t}: {m}', f"\tat Main.run(Main.java:{n})"],
        t,
        0,
    ),
    "gcc": lambda t, m, n: ([f"src/x.c:{n}:3: error: {m}", f"  {n} | int x"], "CompileError", 0),
    "rust": lambda t, m, n: (
        [f"error[E{n % 10000:04d}]: {m}", " --> src/main.rs:1:1"],
        f"E{n % 10000:04d}",
        0,
    ),
    "go": lambda t, m, n: (
        [f"panic: {m}", "", "goroutine 1 [running]:", "main.main()"],
        "panic",
        0,
    ),
    "npm": lambda t, m, n: ([f"npm ERR! {m}", "npm ERR! see the log"], "NpmError", 0),
    "make": lambda t, m, n: ([f"make: *** {m}"], "MakeError", 0),
}
CONTEXT_LINE = st.lists(
    st.sampled_from(["step", "ok", "building", "done", "cache"]), min_size=1, max_size=4
).map(" ".join)


@st.composite
def embedded_errors(draw: st.DrawFn) -> tuple[FileChange, str, str, int, list[str]]:
    kind = draw(st.sampled_from(sorted(KINDS)))
    raw_type = draw({"node": JS_TYPE, "java": JAVA_TYPE}.get(kind, PY_TYPE))
    message = draw(MESSAGE)
    block, error_type, anchor = KINDS[kind](raw_type, message, draw(st.integers(1, 999)))
    before = draw(st.lists(CONTEXT_LINE, max_size=CONTEXT_BEFORE - 1))  # + a blank line
    after = draw(st.lists(CONTEXT_LINE, max_size=2))
    start = draw(st.integers(1, 5000))
    path = draw(st.sampled_from(["logs/ci.txt", "build/test run.log", "out/ünïcode.out"]))
    diff = change([*before, "", *block, "", *after], start=start, path=path)
    line = start + len(before) + 1 + anchor
    return diff, error_type, message, line, before


# Property: extraction preserves error_type, message and context without loss for any generated
# payload embedded in a diff: the error comes back with its type, its message, its path and
# new-file line, and the added lines just before it in its context.
@settings(max_examples=300, deadline=None)
@given(embedded_errors())
def test_extraction_preserves_embedded_errors(
    case: tuple[FileChange, str, str, int, list[str]],
) -> None:
    diff, error_type, message, line, before = case
    found = {(p.path, p.line): p for p in extract_errors([diff], STARTER)}
    payload = found[(diff.path, line)]
    assert (payload.error_type, payload.message) == (error_type, message)
    assert payload.context.startswith(f"{diff.path}:{line}\n")
    for text in before:
        assert text in payload.context


def test_pattern_hits_only_in_files_the_spell_applies_to() -> None:
    book = compile_spellbook(
        [
            SpellRecord(
                id=1,
                title="Debugger breakpoint left in",
                description="A breakpoint() call stops the program.",
                error_type="DebuggerLeftover",
                error_pattern=r"^\s*breakpoint\(\)",
                solution_code="remove it",
                applies_to="*.py",
            )
        ]
    )
    lines = ["x = 1", "    breakpoint()"]
    changes = [change(lines, path=path) for path in ("app.py", "docs/howto.md", "vendor/y.py")]
    found = extract_errors(changes, book)
    assert [(p.path, p.line, p.error_type) for p in found] == [("app.py", 2, "DebuggerLeftover")]


def test_error_signatures_are_read_in_output_files_only() -> None:
    """In source code and docs, a traceback or error line is text (a docstring, a message)."""
    lines = ["setup ok", *PY_TRACEBACK]
    found = extract_errors(
        [change(lines, path=path) for path in ("docs/errors.md", "src/app.py", "ci/run.log")],
        EMPTY,
    )
    assert [(p.path, p.error_type) for p in found] == [("ci/run.log", "ModuleNotFoundError")]
