"""Error signatures: the shapes tools print errors in, recognised in a run of lines.

A run is a list of consecutive lines (a CI log, or consecutive added lines of a diff). One RE2
pass over the run finds the lines that can start or carry an error; each is handed to the
recogniser of its shape, which walks its neighbours (frames, code excerpts, ``Caused by:``) and
returns a ``Signature``: the error type and message, the line that carries them (``anchor``)
and the span of lines the error covers (the stack trace). Recognised shapes and the error types
they give:

- Python tracebacks and exception lines, JS/Node errors with ``at`` frames, Java exceptions
  (``Exception in thread``, ``Caused by:``): the exception class (``KeyError``,
  ``java.lang.NullPointerException``); Python warnings lines (``path:line: XWarning: ...``)
- pytest ``E   `` blocks: the exception in the block, or ``AssertionError``
- gcc/clang/javac ``file:line[:col]: error: ...`` and Go ``file.go:line:col: ...``:
  ``CompileError``; TypeScript ``error TS2322``: ``TS2322``; Rust ``error[E0382]``: ``E0382``
- Go ``panic:`` and Rust ``thread '...' panicked at``: ``panic``; Go ``fatal error:``:
  ``fatal error``; AddressSanitizer reports: ``AddressSanitizer``
- ``npm ERR!`` / ``npm error`` blocks: ``NpmError``; ``make: ***``: ``MakeError``; pip's
  resolver errors: ``PipError``; ``docker build`` failures: ``DockerBuildError``; the Docker
  client's daemon errors: ``DockerError``; the runner's ending (``Process completed with exit
  code N``, GitLab's ``Job failed: exit code N``, Jenkins' ``script returned exit code N``):
  ``ProcessExit``
- Maven's ``[ERROR] File.java:[12,5] msg`` (javac, wrapped): ``CompileError``, and its
  ``[ERROR] Failed to execute goal ...``: ``MavenError``; node --test's TAP ``error: '...'`` with
  ``name: 'ReferenceError'`` a few lines on: that name; pytest's short summary (``FAILED
  t.py::test - msg``, ``ERROR t.py``): the exception in it, or ``AssertionError``

Every walk is bounded (``MAX_WALK`` lines) and every line is looked at a bounded number of
times, so recognition stays linear in the size of the run. The one walk that may fail after
reading many lines, a ``Traceback`` header's over the indented lines below it, is remembered
(``_IndentedRuns``): a log of 30,000 indented headers is read once, not 200 times.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Sequence
from itertools import accumulate

import msgspec
import re2

from grimoire.core.regexsets import utf8

MAX_WALK = 200
"""The most lines a recogniser walks forward from its trigger (a trace is longer only in
pathological output, and its first 200 lines say what it is)."""
MAX_BACK = 20
"""The most lines walked back from an exception line to find its frames (a header-less trace,
like a SyntaxError's, is short; a long traceback is found forward from its header)."""

_NAME = r"(?:[a-z_$][\w$]*\.)*[A-Z][\w$]*(?:Error|Exception|Fault|Failure|Interrupt|Exit)|Error"
_EXCEPTION = re.compile(
    rf"\s*(?:Uncaught |Exception in thread \"[^\"]*\" |Caused by: )?"
    rf"(?P<type>{_NAME}|[A-Z][\w$]* (?=\[\w*Error\]))(?: ?\[\w+\])?(?:: ?(?P<msg>.*))?"
)
_THREAD = re.compile(r"Exception in thread \"[^\"]*\" (?P<type>[\w$.]+)(?:: ?(?P<msg>.*))?")
_TRACEBACK = re.compile(r"\s*Traceback \(most recent call last\):")
_HEADER_ONLY = re.compile(r"\s*Traceback \(most recent call last\):\s*")
_PY_FINAL = re.compile(r"(?P<type>[A-Za-z_][\w.]*)(?:: ?(?P<msg>.*))?")
_PY_WARNING = re.compile(r".+?:\d+: (?P<type>[A-Z]\w*Warning): (?P<msg>.*)")
_PYTEST_E = re.compile(r"E {2,}(?P<text>\S.*)")
_PYTEST_WHERE = re.compile(r"\S+:\d+: (?P<type>[A-Za-z_][\w.]*)")
_COMPILER = re.compile(r"[^\s:][^:]*:\d+:(?:\d+:)? (?:fatal error|error): (?P<msg>.*)")
_GO_COMPILE = re.compile(r"\S+\.go:\d+:\d+: (?P<msg>.*)")
_TSC = re.compile(r"\S.*?(?:\(\d+,\d+\):|:\d+:\d+ -) error (?P<type>TS\d+): (?P<msg>.*)")
_RUST = re.compile(r"error\[(?P<type>E\d{4})\]: (?P<msg>.*)")
_GO_PANIC = re.compile(r"(?P<type>panic|fatal error): (?P<msg>.*)")
_RUST_PANIC = re.compile(
    r"thread '[^']*'(?: \(\d+\))? panicked at (?P<where>.*?)(?::|, (?P<msg>.*))?$"
)
_ASAN = re.compile(r"==\d+==ERROR: (?P<type>AddressSanitizer): (?P<msg>.*)")
_NPM = re.compile(r"npm (?:ERR!|error) ?(?P<text>.*)")
_MAKE = re.compile(r"(?:\S*make(?:\[\d+\])?|\S+:\d+): \*\*\* (?P<msg>.*)")
_PIP = re.compile(
    r"ERROR: (?P<msg>(?:Could not find a version|No matching distribution|Could not install"
    r"|Cannot install|ResolutionImpossible|Failed building wheel|Could not build wheels).*)"
)
_DOCKER_BUILD = re.compile(
    r"(?:#\d+ (?:\d+\.\d+ )?)?(?:ERROR: (?P<msg>failed to solve: .*|.*did not complete "
    r"successfully.*)|(?P<legacy>The command .* returned a non-zero code: \d+))"
)
_DOCKER = re.compile(
    r"(?P<msg>Cannot connect to the Docker daemon at .*|Error response from daemon: .*)"
)
_EXIT = re.compile(
    r"(?:##\[error\]|Error: |ERROR: )?(?P<msg>Process completed with exit code \d+\.?"
    r"|Job failed: exit code -?\d+|script returned exit code -?\d+)"
)
_MAVEN_JAVAC = re.compile(r"\[ERROR\] (?P<path>\S+):\[\d+,\d+\] (?P<msg>.*)")
_MAVEN_GOAL = re.compile(r"\[ERROR\] (?P<msg>Failed to execute goal .*)")
_TAP_ERROR = re.compile(r"\s+error: '(?P<msg>.*)'")
_TAP_NAME = re.compile(r"\s+name: '(?P<type>[\w$.]+)'")
_PYTEST_SUMMARY = re.compile(r"(?:FAILED|ERROR) (?P<where>\S+)(?: - (?P<text>.*))?")


def _trigger_options() -> re2.Options:
    options = re2.Options()
    options.never_nl = True  # a trigger is one line: \s must not run into the next
    options.log_errors = False
    return options


# One RE2 pass finds every line that may start a signature; the recognisers confirm. Each
# alternative is as tight as its recogniser's first line allows: a line that triggers and is then
# refused costs ~15 us of Python, and a log of nothing but such lines must stay cheap.
_TRIGGERS = re2.compile(
    "(?m)^(?:"
    + "|".join(
        (
            r"\s*Traceback \(most recent call last\):",
            r"\s*(?:Uncaught |Exception in thread \"[^\"]*\" |Caused by: )?(?:(?:[\w$]+\.)*"
            r"[A-Z][\w$]*(?:Error|Exception|Fault|Failure|Interrupt|Exit)|Error)"
            r"(?: \[\w+\])?(?::|$)",
            r"\s*[A-Z][\w$]* ?\[\w*Error\]: ",
            r".+?:\d+: [A-Z]\w*Warning: ",
            r"E {2,}\S",
            r"[^\s:][^:]*:\d+:(?:\d+:)? (?:fatal error|error): ",
            r"\S+\.go:\d+:\d+: ",
            r"\S.*?(?:\(\d+,\d+\):|:\d+:\d+ -) error TS\d+: ",
            r"error\[E\d{4}\]: ",
            r"(?:panic|fatal error): ",
            r"thread '[^']*'(?: \(\d+\))? panicked at ",
            r"==\d+==ERROR: AddressSanitizer: ",
            r"npm (?:ERR!|error) ",
            r"\S*make(?:\[\d+\])?: \*\*\* ",
            r"\S+:\d+: \*\*\* ",
            r"(?:#\d+ (?:\d+\.\d+ )?)?ERROR: (?:Could not find a version|No matching distribution"
            r"|Could not install|Cannot install|ResolutionImpossible|Failed building wheel"
            r"|Could not build wheels|failed to solve: |.*did not complete successfully)",
            r"The command .* returned a non-zero code: \d+$",
            r"Cannot connect to the Docker daemon at ",
            r"Error response from daemon: ",
            r"(?:##\[error\]|Error: )?Process completed with exit code \d+\.?$",
            r"ERROR: (?:Job failed: exit code|script returned exit code) -?\d+$",
            r"\[ERROR\] (?:\S+:\[\d+,\d+\] |Failed to execute goal )",
            r"\s+error: '.*'$",
            r"(?:FAILED|ERROR) \S+(?:::| - |\.py$)",
        )
    )
    + ")",
    _trigger_options(),
)
_INDENTED = re.compile(r"\s+\S|\s*\[Previous line repeated")
_FRAME_AFTER = re.compile(
    r"\s+at |\s*Caused by: |\s*\.\.\. \d+ more|\s*Suppressed: |Require stack:|- \S"
)


class Signature(msgspec.Struct, frozen=True, kw_only=True):
    """One recognised error: type, message, the line carrying them, and the lines it covers."""

    error_type: str
    message: str
    anchor: int
    start: int
    end: int


def find_signatures(
    lines: Sequence[str], *, data: bytes | None = None, starts: list[int] | None = None
) -> list[Signature]:
    """Return the errors recognised in a run of lines, in order, none overlapping.

    ``data`` is the run as UTF-8 (``"\\n".join(lines)``) and ``starts`` its ``line_starts``,
    when the caller has them already.
    """
    if data is None:
        data = utf8("\n".join(lines))
    if starts is None:
        starts = line_starts(data)
    found: list[Signature] = []
    covered = 0
    indented = _IndentedRuns(lines)
    for match in _TRIGGERS.finditer(data):
        line = bisect_right(starts, match.start()) - 1
        if line < covered:
            continue
        signature = _recognise(lines, line, covered, indented)
        if signature is not None:
            found.append(signature)
            covered = signature.end
    return found


def line_starts(data: bytes) -> list[int]:
    """Return the byte offset where each line of ``data`` starts."""
    return list(accumulate((len(piece) + 1 for piece in data.split(b"\n")[:-1]), initial=0))


def _recognise(
    lines: Sequence[str], i: int, floor: int, indented: _IndentedRuns
) -> Signature | None:
    if _TRACEBACK.match(lines[i]):
        signature = _traceback(lines, i, indented)
        if signature is not None or _HEADER_ONLY.fullmatch(lines[i]):
            return signature  # no other shape starts with a bare header: skip trying them all
    for recogniser in _RECOGNISERS:
        signature = recogniser(lines, i, floor)
        if signature is not None:
            return signature
    return None


class _IndentedRuns:
    """Where the run of indented lines starting at a line ends, remembered across the walks.

    Triggers come in line order, so one remembered run ``[start, end)`` answers every later
    question inside it: each line is matched against ``_INDENTED`` at most once per run.
    """

    __slots__ = ("end", "lines", "start")

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = lines
        self.start = self.end = -1

    def end_from(self, i: int) -> int:
        """Return the first index at or after ``i`` whose line is not indented (or the length)."""
        if not self.start <= i <= self.end:
            self.start = self.end = i
            while self.end < len(self.lines) and _INDENTED.match(self.lines[self.end]):
                self.end += 1
        return self.end


def _traceback(lines: Sequence[str], i: int, indented: _IndentedRuns) -> Signature | None:
    j = min(indented.end_from(i + 1), i + MAX_WALK)
    final = _PY_FINAL.fullmatch(lines[j].strip()) if j < len(lines) else None
    if final is None:
        return None
    return _signature(final["type"], final["msg"], anchor=j, start=i, end=j + 1)


def _exception(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    line = lines[i]
    match = _THREAD.match(line) or _EXCEPTION.fullmatch(line)
    if match is None or (match["msg"] is None and not _framed(lines, i)):
        return None
    start = i
    while start > max(floor, i - MAX_BACK) and _INDENTED.match(lines[start - 1]):
        start -= 1
    if start > floor and _TRACEBACK.match(lines[start - 1]):
        start -= 1
    end = i + 1
    while end < min(len(lines), i + MAX_WALK) and _FRAME_AFTER.match(lines[end]):
        end += 1
    return _signature(match["type"], match["msg"], anchor=i, start=start, end=end)


def _framed(lines: Sequence[str], i: int) -> bool:
    return i + 1 < len(lines) and _FRAME_AFTER.match(lines[i + 1]) is not None


def _pytest(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    first = _PYTEST_E.match(lines[i])
    if first is None:
        return None
    end = i + 1
    while end < min(len(lines), i + MAX_WALK) and _PYTEST_E.match(lines[end]):
        end += 1
    text = first["text"].strip()
    inner = _EXCEPTION.fullmatch(text)
    if inner is not None and inner["msg"] is not None:
        return _signature(inner["type"], inner["msg"], anchor=i, start=i, end=end)
    error_type = "AssertionError" if text.startswith("assert") else "Error"
    for j in range(end, min(len(lines), end + 3)):
        if where := _PYTEST_WHERE.fullmatch(lines[j].strip()):
            error_type, end = where["type"], j + 1
            break
    return _signature(error_type, text, anchor=i, start=i, end=end)


def _block(pattern: re.Pattern[str], error_type: str) -> Callable[..., Signature | None]:
    """A one-line signature followed by its indented or ``-->`` detail lines."""

    def recognise(lines: Sequence[str], i: int, floor: int) -> Signature | None:
        match = pattern.fullmatch(lines[i])
        if match is None:
            return None
        groups = match.groupdict()
        found_type = groups.get("type") or error_type
        message = groups.get("msg") or groups.get("legacy") or ""
        end = i + 1
        while end < min(len(lines), i + MAX_WALK) and _detail(lines[end]):
            end += 1
        return _signature(found_type, message, anchor=i, start=i, end=end)

    return recognise


def _detail(line: str) -> bool:
    return line.startswith((" ", "\t")) and line.strip() != ""


def _go_panic(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    match = _GO_PANIC.fullmatch(lines[i])
    if match is None:
        return None
    end = i + 1
    limit = min(len(lines), i + MAX_WALK)
    if end + 1 < limit and lines[end] == "" and lines[end + 1].startswith("goroutine "):
        end += 2
        while end < limit and lines[end].strip() and not lines[end].startswith("exit status"):
            end += 1
    return _signature(match["type"], match["msg"], anchor=i, start=i, end=end)


def _rust_panic(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    match = _RUST_PANIC.match(lines[i])
    if match is None:
        return None
    if match["msg"]:  # before Rust 1.73: panicked at 'message', src/main.rs:2:5
        return _signature("panic", match["msg"], anchor=i, start=i, end=i + 1)
    if i + 1 >= len(lines):
        return None
    end = i + 2
    if end < len(lines) and lines[end].startswith("stack backtrace:"):
        end += 1
        while end < min(len(lines), i + MAX_WALK) and lines[end].startswith(" "):
            end += 1
    return _signature("panic", lines[i + 1], anchor=i + 1, start=i, end=end)


def _npm(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    if _NPM.match(lines[i]) is None:
        return None
    end = i
    texts: list[str] = []
    while end < min(len(lines), i + MAX_WALK) and (match := _NPM.match(lines[end])):
        texts.append(match["text"].strip())
        end += 1
    message = next((text for text in texts if text), "")
    anchor = i + texts.index(message) if message else i
    return _signature("NpmError", message, anchor=anchor, start=i, end=end)


def _maven(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    """Maven's ``[ERROR] File.java:[12,5] msg`` (javac, wrapped) and its goal failures."""
    if match := _MAVEN_JAVAC.fullmatch(lines[i]):
        end = i + 1
        while end < min(len(lines), i + MAX_WALK) and lines[end].startswith("[ERROR]   "):
            end += 1
        message = match["msg"]
        return _signature("CompileError", message, anchor=i, start=i, end=end)
    if match := _MAVEN_GOAL.fullmatch(lines[i]):
        return _signature("MavenError", match["msg"], anchor=i, start=i, end=i + 1)
    return None


def _tap(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    """node --test's TAP: ``error: 'x is not defined'``, then ``name: 'ReferenceError'``."""
    match = _TAP_ERROR.fullmatch(lines[i])
    if match is None:
        return None
    for j in range(i + 1, min(len(lines), i + 4)):
        if name := _TAP_NAME.fullmatch(lines[j]):
            end = j + 1
            while end < min(len(lines), i + MAX_WALK) and lines[end].strip() not in ("...", ""):
                end += 1
            return _signature(name["type"], match["msg"], anchor=i, start=i, end=end)
    return None


def _pytest_summary(lines: Sequence[str], i: int, floor: int) -> Signature | None:
    """pytest's short test summary: ``FAILED tests/x.py::test - AssertionError: ...``."""
    match = _PYTEST_SUMMARY.fullmatch(lines[i])
    text = ((match and match["text"]) or "").strip()
    if match is None or not text or not ("::" in match["where"] or match["where"].endswith(".py")):
        return None  # without a message, the summary line only repeats the error shown above
    inner = _EXCEPTION.fullmatch(text)
    if inner is not None and inner["msg"] is not None:
        return _signature(inner["type"], inner["msg"], anchor=i, start=i, end=i + 1)
    error_type = "AssertionError" if text.startswith("assert") else "TestFailure"
    return _signature(error_type, text, anchor=i, start=i, end=i + 1)


def _signature(
    error_type: str, message: str | None, *, anchor: int, start: int, end: int
) -> Signature:
    return Signature(
        error_type=error_type.strip(),
        message=(message or "").strip(),
        anchor=anchor,
        start=start,
        end=end,
    )


_RECOGNISERS: tuple[Callable[[Sequence[str], int, int], Signature | None], ...] = (
    # _traceback comes first, from _recognise
    _pytest,
    _rust_panic,
    _maven,
    _tap,
    _pytest_summary,
    _block(_RUST, "E0000"),
    _block(_TSC, "TS0000"),
    _block(_COMPILER, "CompileError"),
    _block(_ASAN, "AddressSanitizer"),
    _go_panic,
    _block(_GO_COMPILE, "CompileError"),
    _npm,
    _block(_MAKE, "MakeError"),
    _block(_PIP, "PipError"),
    _block(_DOCKER_BUILD, "DockerBuildError"),
    _block(_DOCKER, "DockerError"),
    _block(_EXIT, "ProcessExit"),
    _block(_PY_WARNING, "Warning"),
    _exception,
)
