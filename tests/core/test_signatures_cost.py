"""Recognising signatures reads each line a bounded number of times, whatever the text.

Time is not asserted (bench/adversarial.py measures it); the work is: the lines are given as a
sequence that counts how often it is read. Before the fix, every ``Traceback`` header walked the
200 indented lines below it (~200 reads a line, ~3.8 s per MiB), and every line starting with
``E  `` or ``ERROR: `` was handed to all 17 recognisers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import overload

import pytest

from grimoire.core.regexsets import utf8
from grimoire.core.signatures import find_signatures

REPEATS = 3_000


class CountingLines(Sequence[str]):
    """A list of lines that counts how many times a line is read by index."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.reads = 0

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            self.reads += len(range(*index.indices(len(self.lines))))
        else:
            self.reads += 1
        return self.lines[index]

    def __len__(self) -> int:
        return len(self.lines)


def reads_per_line(line: str) -> float:
    lines = CountingLines([line] * REPEATS)
    find_signatures(lines, data=utf8("\n".join(lines.lines)))
    return lines.reads / REPEATS


@pytest.mark.parametrize(
    "line",
    ["Traceback (most recent call last):", "  Traceback (most recent call last):"],
)
def test_repeated_traceback_headers_are_read_a_few_times_each(line: str) -> None:
    assert reads_per_line(line) < 10


@pytest.mark.parametrize(
    "line",
    [
        "E   ",
        "ERROR: x",
        "#5 ERROR: x",
        "x error TS1: y",
        "thread 'main' x panicked at y",
        "xx Process completed with exit code 1",
        "The command x returned a non-zero code: 1 and more",
    ],
)
def test_lines_no_recogniser_accepts_are_not_handed_to_the_recognisers(line: str) -> None:
    assert reads_per_line(line) == 0


def test_the_tightened_triggers_still_find_their_shapes() -> None:
    lines = [
        "E   assert 1 == 2",
        "ERROR: No matching distribution found for nope==9",
        "#9 0.3 ERROR: failed to solve: process did not complete successfully",
        "src/a.ts(3,5): error TS2322: Type 'string' is not assignable to type 'number'.",
        "thread 'main' panicked at src/main.rs:2:5:",
        "boom",
        "##[error]Process completed with exit code 2.",
        "The command '/bin/sh -c make' returned a non-zero code: 2",
    ]
    found = [(s.error_type, s.anchor) for s in find_signatures(lines)]
    assert found == [
        ("AssertionError", 0),
        ("PipError", 1),
        ("DockerBuildError", 2),
        ("TS2322", 3),
        ("panic", 5),
        ("ProcessExit", 6),
        ("DockerBuildError", 7),
    ]
