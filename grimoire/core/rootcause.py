"""Read a CI log for its root cause: each error gets a role and a reason, root cause first.

A job log holds many error-looking lines; one of them ended the job. ``read_log`` finds every
error (``extract.locate_errors``) and gives each a role:

- ``failure``: what ended the job: the error the job stopped on, before its exit code (the last
  traceback, the failing tests, the compiler's errors), or the error the later ones follow from;
- ``consequence``: follows from an earlier failure: the ``make: ***``, ``npm error Lifecycle``,
  ``Failed to execute goal … Compilation failure`` (or surefire's bare ``…:test (default-test) on
  project demo:``) and exit-code lines that report a tool failed,
  a parent process reporting its child failed (``CalledProcessError``, ``Command failed:``) or
  a thread its worker (Rust's ``Err`` value ``Any { .. }`` from ``join``),
  the import errors of a package that did not install, the syntax errors of committed conflict
  markers, the errors after a ``$'\\r'`` (a script with Windows line endings), an exception raised
  while handling another (Python's "During handling of the above exception");
- ``warning``: did not fail the job: warnings (``WARNING: Retrying …``, ``DeprecationWarning``,
  ``npm warn``, ``[WARNING]``), and tolerated errors: an error in a command the job went on from
  (a ``mkdir`` the script ignored, npm's ERESOLVE before the retry that worked), a handled
  exception's trace in output that went on, a traceback in a failing test's captured log.

The rules, in order (build for the class, not the case):

1. The job ends at its last exit line (``Process completed with exit code N``, GitLab's ``Job
   failed``, Jenkins' ``script returned exit code``), or where the runner starts what it runs
   after a failure (GitLab's ``after_script``, Jenkins' post actions: ``joblog``); errors
   after that did not end it.
2. The failing command (``joblog``) is the last command before the end (without an exit line:
   the command of the last error that is not a wrapper, a line that only says a tool failed),
   passing back over commands traced after it that only report (``+ echo …``, ``+ exit 1``,
   ``+ rm -rf tmp``: an ``EXIT`` trap or ``|| { echo …; exit 1; }`` under ``bash -x``).
   Errors in earlier commands were tolerated, unless a rule below makes them the cause; a
   failing command without errors makes the exit line the failure. Inside the failing command,
   two errors the command went on from are tolerated too: a Python traceback a logger wrote
   (a log record, then the trace) with more program output after it, and a failed install
   with output after the installer's own lines that no later error follows from.
3. In the failing command, compiler diagnostics win over test failures, which win over runtime
   errors: every compiler error (first first) or every failing test is a failure; of runtime
   errors only the last is (earlier ones were handled: the program went on); a Go panic and
   the ``[signal SIGSEGV …]`` line under it are one crash, the panic its failure.
4. Cause rules, across commands: a failed dependency install causes the later import errors
   (and the installer's further lines about it in the same command);
   conflict markers cause the later syntax errors; ``$'\\r'`` causes everything after it in its
   command; a Python exception causes the one raised while handling it.
5. Duplicates (the same type and message: pytest's ``E`` line and its summary line) are merged.

Pure: text and a spellbook in, values out.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Literal

import msgspec

from grimoire.core.extract import Located, locate_errors
from grimoire.core.joblog import JobLog, read_job_log
from grimoire.core.matching import Spellbook
from grimoire.core.payload import ErrorPayload

Role = Literal["failure", "consequence", "warning"]
ROLES: tuple[Role, ...] = ("failure", "consequence", "warning")
MAX_FINDINGS = 50
MAX_CAUSES = 16
"""Errors examined as possible causes of later ones (rule 4), the first in the log: each is
checked against every later error, so the bound keeps the pass linear in the log's errors."""

_WARNING = re.compile(
    r"\s*(?:WARNING|WARN|Warning|warning)\b|\s*npm (?:WARN|warn)\b|\s*\[WARNING\]"
    r"|\S+:\d+:(?:\d+:)? warning: |\s*DEPRECATION: "
)
_WRAPPER = re.compile(
    r"(?:\[.*\] Error \d+$|.*\bELIFECYCLE\b|Lifecycle script|command failed|errno \d+$"
    r"|Failed to execute goal .*(?:Compilation failure|There are test failures)"
    r"|Failed to execute goal \S*maven-(?:surefire|failsafe)-plugin:\S+ \([\w.-]+\) on project"
    r" [\w.-]+:?\s*$"
    r"|.*returned a non-zero code|.*did not complete successfully|could not compile"
    r"|.*returned non-zero exit status -?\d+|Command failed: "
    r"|.*on an `Err` value: Any \{ \.\. \}$)"
)
"""A line that only says a tool, a child process or a thread failed (make, npm, Maven, Docker,
Python's ``CalledProcessError``, Node's ``execSync``, Rust's ``join().unwrap()`` of a panicked
thread: ``Err`` value ``Any { .. }``): what failed, printed before it, is the failure."""
_MARKER = re.compile(r"(?:E\s+)?\s*(?:\d+ \| )?(?P<marker>(?:<{7}|>{7})(?: \S.*)?)")
_CONFLICT = re.compile(r"^(?:<{7}|>{7})(?: \S|$)|conflict marker", re.MULTILINE)
_INSTALL_OK = re.compile(
    r"\n(?:added \d+ packages?|Successfully installed|Would install|up to date)"
)
_EXCERPT_BELOW = 1
"""Lines under an error where a compiler quotes the source line it stopped on."""
_CRLF = re.compile(r"\$'[^'\n]*\\r'")
_INSTALL_FAILED = re.compile(
    r"Could not find a version that satisfies|No matching distribution found|ResolutionImpossible"
    r"|Cannot install .* because|Failed building wheel|Could not build wheels"
    r"|ERESOLVE|\bE404\b|404 Not Found|[Cc]ould not resolve dependencies"
)
_IMPORT_ERROR = re.compile(
    r"ModuleNotFoundError|ImportError|No module named|Cannot find module|Cannot find package"
    r"|package [\w.]+ does not exist|cannot find symbol|unresolved import|cannot find package"
)
_SYNTAX_ERROR = re.compile(r"Syntax|Indentation|Unexpected token|expected|CompileError|TS1\d{3}")
_CHAINED = re.compile(
    r"During handling of the above exception|The above exception was the direct cause"
)
_COMPILER_TYPE = re.compile(r"CompileError|LinkerError|TS\d+|E\d{4}")
_SIGNAL_NOTE = re.compile(r"\[signal SIG\w+")
"""The line Go's runtime prints under a panic caused by a signal: part of that crash."""
_REPORTING = re.compile(
    r"[$+]+ (?:echo|printf|true|:|exit \d+|rm -[rf]+|set [+-][a-z]+)(?: [^;&|]*)?"
)
"""A command traced by ``bash -x`` that cannot fail, or only reports and ends a failure."""
_LOG_RECORD = re.compile(r".*\b(?:ERROR|CRITICAL|EXCEPTION|WARNING)\b")
"""A log record's level: the line before ``Traceback`` that ``logger.exception`` writes."""
_RUNNER_TEXT = re.compile(
    r"\s*(?:Cleaning up (?:project directory|file based variables|orphan processes)"
    r"|Post job cleanup\.|Uploading artifacts|Finished: (?:FAILURE|SUCCESS|UNSTABLE))"
)
"""What a runner prints after the last command: not output of the program."""
_INSTALLER_TAIL = re.compile(
    r"\s*(?:\[(?:notice|ERROR|INFO|WARNING)\]|npm (?:error|ERR!|notice|warn|WARN)\b"
    r"|ERROR:|WARNING:|hint:|$)"
)
"""What an installer prints after its error, about it: not output of a command that ran on."""
_PYTEST_LINE = re.compile(r"E {2,}|(?:FAILED|ERROR) \S+(?:::| - |\.py$)")


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One error of a log, with its role in the failure and why it has it.

    ``line`` is the 1-based line of the cleaned log (runner markers removed) that carries it.
    """

    payload: ErrorPayload
    role: Role
    why: str
    line: int


class _Item(msgspec.Struct, kw_only=True):
    """An error being read: where it is, what kind of line it is, and the role given so far."""

    at: Located
    kind: Literal["error", "warning", "wrapper", "exit"]
    family: Literal["compiler", "test", "runtime"]
    role: Role = "warning"
    why: str = ""
    order: int = 0


def read_log(text: str, book: Spellbook) -> list[Finding]:
    """Return the errors of a raw CI log with their roles, root cause first, duplicates merged."""
    job = read_job_log(text)
    found = _with_conflict_markers(locate_errors(job.lines, book), job.lines)
    items = [_item(located, job.lines) for located in found]
    _assign(items, job, _install_successes(job))
    ordered = sorted(items, key=lambda item: (ROLES.index(item.role), item.order, item.at.anchor))
    return _merged(ordered)


def _with_conflict_markers(found: list[Located], lines: Sequence[str]) -> list[Located]:
    """Add the conflict markers an error's excerpt shows as an error of their own, before it:
    a parser stumbles on ``<<<<<<< HEAD`` and reports a syntax error, but the markers are the
    cause (rule 4 links the two). The excerpt is above the error line in a traceback, inside
    it in pytest's, and right under it where a compiler quotes the line (javac): there the
    markers are read at the error's line, before it, since the error reports them."""
    added: list[Located] = []
    for located in found:
        if _CONFLICT.search(located.payload.message):
            continue
        stop = min(len(lines), located.end + _EXCERPT_BELOW)
        for index in range(max(0, located.start - 3), stop):
            match = _MARKER.fullmatch(lines[index])
            if match is not None:
                message = match["marker"].strip()
                payload = ErrorPayload(
                    error_type="MergeConflict", message=message, context=lines[index]
                )
                anchor = min(index, located.anchor)
                added.append(Located(anchor, index, index + 1, payload))
                break
    if not added:
        return found
    # At one line, the markers come first: they are the cause of the error reported there.
    return sorted([*added, *found], key=lambda located: located.anchor)


def _install_successes(job: JobLog) -> list[int]:
    """Return the lines where a dependency install reports success (npm, pip)."""
    return [job.line_at(m.start()) for m in _INSTALL_OK.finditer("\n" + job.text)]


def _item(found: Located, lines: Sequence[str]) -> _Item:
    payload, line = found.payload, lines[found.anchor]
    if payload.error_type == "ProcessExit":
        kind: Literal["error", "warning", "wrapper", "exit"] = "exit"
    elif payload.error_type.endswith("Warning") or "Warning: " in line or _WARNING.match(line):
        kind = "warning"
    elif _WRAPPER.match(payload.message) and not _INSTALL_FAILED.search(payload.message):
        kind = "wrapper"
    else:
        kind = "error"
    if _COMPILER_TYPE.fullmatch(payload.error_type):
        family: Literal["compiler", "test", "runtime"] = "compiler"
    elif _PYTEST_LINE.match(line):
        family = "test"
    else:
        family = "runtime"
    return _Item(at=found, kind=kind, family=family)


def _assign(items: list[_Item], job: JobLog, successes: list[int]) -> None:
    """Give every item its role and reason (the module docstring's rules)."""
    exits = [item for item in items if item.kind == "exit"]
    end = exits[-1].at.anchor if exits else len(job.lines)
    if job.after is not None and job.after < end:
        end = job.after  # after_script, post actions: they run whatever the outcome
    ending = f"`{_text(exits[-1])}`" if exits else "the end of the log"
    _mark_logged_and_handled(items, job, end)
    _mark_tolerated_installs(items, job, end)
    before = [item for item in items if item.kind in ("error", "wrapper") and item.at.anchor < end]
    for item in items:
        if item.kind == "warning":
            item.why = item.why or "a warning: it did not fail the build"
        elif item.at.anchor > end:
            item.why = (
                "run after the job's steps (after_script, post actions): it did not fail the job"
                if end == job.after and (not exits or item.at.anchor < exits[-1].at.anchor)
                else "after the job ended"
            )
    if not before:
        for item in exits:
            item.role, item.why = "failure", "the job's exit status; no error above explains it"
        return
    errors = [item for item in before if item.kind == "error"] or before
    # The failing command is the last one before the exit line; with no exit line, the one
    # of the last error.
    command = _failing_command(job, end if exits else errors[-1].at.anchor, before)
    failing = [item for item in before if job.command_of(item.at.anchor) == command]
    if failing:
        _decide(failing, ending)
    for item in before:
        if job.command_of(item.at.anchor) != command:
            following = job.next_command(item.at.anchor)
            where = f" (line {following + 1} ran next)" if following is not None else ""
            item.why = f"tolerated: the job went on after it{where}"
    if not failing:
        for item in exits[-1:]:
            item.role = "failure"
            item.why = f"the command at line {command + 1} failed without an error line"
    _apply_causes(items, job, end, successes)
    root = next((item for item in items if item.role == "failure"), None)
    for item in items:
        late = item.kind == "wrapper" and item.at.anchor > end
        if item.kind in ("wrapper", "exit") and item.role != "failure" and root and not late:
            item.role, item.why = "consequence", f"follows from {_cite(root)}"


def _failing_command(job: JobLog, line: int, before: list[_Item]) -> int:
    """Return the command ``line`` belongs to, or, when that command and the ones just before
    it only report (``echo``, ``exit 1``, ``rm -rf``: an ``EXIT`` trap, ``|| { echo …; exit 1;
    }`` traced by ``bash -x``) and print no error, the command before them that has errors:
    the reporting ran because it failed."""
    command = job.command_of(line)
    with_errors = {job.command_of(item.at.anchor) for item in before}
    at = bisect_right(job.commands, line) - 1
    while at >= 0 and job.commands[at] not in with_errors:
        if not _REPORTING.fullmatch(job.lines[job.commands[at]]):
            return command
        at -= 1
    return job.commands[at] if at >= 0 else command


def _mark_logged_and_handled(items: list[_Item], job: JobLog, end: int) -> None:
    """A Python traceback a logger wrote (``logger.exception``: a log record, then the trace)
    that the program printed more after was handled: the program went on. It is tolerated,
    not the failure; one the program stopped on (nothing but the runner after it) stays."""
    for item in items:
        start = item.at.start
        if (
            item.kind != "error"
            or start == 0
            or item.at.anchor > end
            or not job.lines[start].startswith("Traceback (most recent call last)")
            or not _LOG_RECORD.match(job.lines[start - 1])
        ):
            continue
        stop = min(end, job.next_command(item.at.anchor) or end)
        if any(
            line.strip() and not _RUNNER_TEXT.match(line) for line in job.lines[item.at.end : stop]
        ):
            item.kind = "warning"
            item.why = "handled: a logged exception, the program went on after it"


def _mark_tolerated_installs(items: list[_Item], job: JobLog, end: int) -> None:
    """A failed install that its command went on from (``pip install …; ./upload.sh``: other
    output after the installer's last line) and that no later error of the command follows
    from was tolerated: what failed the job came after it, even without an error line.

    One backward scan per command finds its last line of other output (linear in the log)."""
    installs: dict[int, list[_Item]] = {}
    others: dict[int, int] = {}  # command -> anchor of its last error that is not an install
    for item in items:
        if item.kind != "error" or item.at.anchor > end:
            continue
        command = job.command_of(item.at.anchor)
        if _cause_kind(item) == "install":
            installs.setdefault(command, []).append(item)
        else:
            others[command] = item.at.anchor
    for command, failed in installs.items():
        # The cause rules decide about an install a later error of its command may follow from.
        free = [item for item in failed if item.at.anchor > others.get(command, -1)]
        if not free:
            continue
        stop = min(end, job.next_command(free[-1].at.anchor) or end)
        went_on = next(
            (
                index
                for index in range(stop - 1, free[0].at.end - 1, -1)
                if not _INSTALLER_TAIL.match(job.lines[index])
                and not _RUNNER_TEXT.match(job.lines[index])
            ),
            -1,
        )  # the last line of other output in the command, if any
        for item in free:
            if went_on >= item.at.end:
                item.kind = "warning"
                item.why = "tolerated: the command went on after it"


def _decide(failing: list[_Item], ending: str) -> None:
    """Rule 3: pick the failures of the failing command; the rest of it was tolerated."""
    errors = [item for item in failing if item.kind == "error"]
    if not errors:
        failing[-1].role, failing[-1].why = "failure", f"last error before {ending}"
        return
    for family in ("compiler", "test", "runtime"):
        chosen = [item for item in errors if item.family == family]
        if chosen:
            break
    if family == "runtime":
        chosen = _chain_root(errors, _crash_of_signal(errors, chosen[-1]))
    for rank, item in enumerate(chosen):
        item.role, item.order = "failure", rank
        item.why = item.why or (
            f"last error before {ending}"
            if item is chosen[-1] and family == "runtime"
            else f"{'first ' if rank == 0 else ''}{_FAMILY_WHY[family]} before {ending}"
        )
    for item in errors:
        if item.role != "failure" and not item.why:
            item.why = "tolerated: the command went on after it"


_FAMILY_WHY = {"compiler": "compiler error", "test": "failing test", "runtime": "error"}


def _crash_of_signal(errors: list[_Item], last: _Item) -> _Item:
    """Return the crash a signal line reports on (``panic: …`` then ``[signal SIGSEGV …]`` on
    the next line): one crash, the panic is the failure and the signal line follows from it."""
    index = errors.index(last)
    if index == 0 or not _SIGNAL_NOTE.match(last.at.payload.message):
        return last
    crash = errors[index - 1]
    if crash.at.end < last.at.start:
        return last
    last.role, last.why = "consequence", f"the signal of {_cite(crash)}"
    return crash


def _chain_root(errors: list[_Item], last: _Item) -> list[_Item]:
    """Return the exception ``last`` was raised while handling, walking back ("During handling
    of the above exception"), root first; the later ones follow from it."""
    chain = [last]
    index = errors.index(last)
    while (
        index > 0
        and errors[index].at.payload.context
        and _CHAINED.search(errors[index].at.payload.context)
    ):
        index -= 1
        chain.insert(0, errors[index])
    for item in chain[1:]:
        item.role, item.why = "consequence", f"raised while handling {_cite(chain[0])}"
    if len(chain) > 1:
        chain[0].role = "failure"
        chain[0].why = "the exception the last error was raised while handling"
    return chain[:1]


def _apply_causes(items: list[_Item], job: JobLog, end: int, successes: list[int]) -> None:
    """Rule 4: an earlier error that causes later ones is the root cause; they follow from it."""
    candidates = [
        index
        for index, item in enumerate(items)
        if item.kind == "error" and item.at.anchor < end and _cause_kind(item) is not None
    ]
    failure_before = _failures_before(items)
    for index in candidates[:MAX_CAUSES]:
        cause = items[index]
        if failure_before[index]:
            continue  # the job had already failed: a later cause does not explain it
        effects = [
            item
            for item in items[index + 1 :]
            if item.kind == "error"
            and item.at.anchor < end
            and _causes(cause, item, job, successes)
        ]
        if not any(item.role == "failure" for item in effects):
            continue
        cause.role, cause.order = "failure", -1
        cause.why = f"root cause: {len(effects)} later error(s) follow from it"
        for item in effects:
            item.role, item.why = "consequence", f"follows from {_cite(cause)}"
        failure_before = _failures_before(items)


def _failures_before(items: list[_Item]) -> list[bool]:
    """Tell, for each item, whether an earlier item is a failure."""
    seen, flags = False, []
    for item in items:
        flags.append(seen)
        seen = seen or item.role == "failure"
    return flags


def _cause_kind(item: _Item) -> str | None:
    """Name the cause rule an error can start (``crlf``, ``install``, ``conflict``), if any."""
    payload = item.at.payload
    text = "\n".join((payload.message, payload.stack_trace))
    if _CRLF.search(text):
        return "crlf"
    if payload.error_type == "PipError" or _INSTALL_FAILED.search(text):
        return "install"
    if _CONFLICT.search(text):
        return "conflict"
    return None


def _causes(cause: _Item, effect: _Item, job: JobLog, successes: list[int]) -> bool:
    kind = _cause_kind(cause)
    effect_text = f"{effect.at.payload.error_type}: {effect.at.payload.message}"
    same_command = job.command_of(cause.at.anchor) == job.command_of(effect.at.anchor)
    if kind == "crlf":
        return same_command
    if kind == "install":
        if _INSTALL_FAILED.search(effect_text):  # the installer's next line about it
            return same_command
        retried = bisect_right(successes, cause.at.anchor) < bisect_right(
            successes, effect.at.anchor
        )  # an install that worked on retry caused nothing
        return not retried and _IMPORT_ERROR.search(effect_text) is not None
    if kind == "conflict" and not _CONFLICT.search(effect_text):
        return _SYNTAX_ERROR.search(effect_text) is not None
    return False


def _merged(ordered: list[_Item]) -> list[Finding]:
    """Rule 5: one finding per (type, message); the first in root-cause order stays."""
    seen: dict[tuple[str, str], int] = {}
    findings: list[Finding] = []
    for item in ordered:
        payload = item.at.payload
        key = (payload.error_type.lower(), payload.message)
        if key in seen:
            kept = findings[seen[key]]
            if len(payload.stack_trace) > len(kept.payload.stack_trace):
                findings[seen[key]] = msgspec.structs.replace(kept, payload=payload)
            continue
        if len(findings) == MAX_FINDINGS:
            continue  # what is left only merges into the findings kept
        seen[key] = len(findings)
        why = item.why or "a warning: it did not fail the build"
        findings.append(Finding(payload=payload, role=item.role, why=why, line=item.at.anchor + 1))
    return findings


def _text(item: _Item) -> str:
    return item.at.payload.message or item.at.payload.error_type


def _cite(item: _Item) -> str:
    payload = item.at.payload
    head = f"{payload.error_type}: {payload.message}" if payload.message else payload.error_type
    if len(head) > 80:
        head = head[:77] + "..."
    return f"`{head}` (line {item.at.anchor + 1})"
