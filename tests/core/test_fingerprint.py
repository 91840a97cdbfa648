"""Fingerprints: what varies between runs is ignored, what names the failure is kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from grimoire.core.fingerprint import FINGERPRINT_PATTERN, fingerprint, normalise_error

TEMPLATE = (
    'File "{root}/src/app.py", line {line}, in handler\n'
    "{stamp} KeyError: 'user' after {ms}ms in {tmp} (commit {sha}, pid {pid})"
)

roots = st.sampled_from(
    ["/home/runner/work/w/w", "/builds/group/project", "C:\\a\\b", "/Users/me/src/x", "."]
)
stamps = st.datetimes(min_value=datetime(1970, 1, 1), timezones=st.just(UTC)).map(
    lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
)
# An abbreviated SHA without a digit (one in a thousand) would read as a word.
shas = st.text("0123456789abcdef", min_size=7, max_size=40).filter(
    lambda s: any(c.isdigit() for c in s)
)
tmps = st.from_regex(r"tmp[a-z0-9_]{3,10}", fullmatch=True)


@given(
    root=roots,
    line=st.integers(1, 10**6),
    stamp=stamps,
    ms=st.integers(0, 10**5),
    tmp=tmps,
    sha=shas,
    pid=st.integers(1, 99999),
)
def test_what_varies_between_runs_does_not_change_the_fingerprint(**slots: object) -> None:
    message = TEMPLATE.format(**slots)
    reference = TEMPLATE.format(
        root="/x",
        line=1,
        stamp="2000-01-01T00:00:00.000000Z",
        ms=1,
        tmp="tmpaaa",
        sha="1234567",
        pid=1,
    )
    assert fingerprint("KeyError", message) == fingerprint("KeyError", reference)


@given(st.text(max_size=3000), st.text(max_size=50))
def test_any_text_has_a_versioned_fingerprint_and_normalising_is_idempotent(
    message: str, error_type: str
) -> None:
    assert re.match(FINGERPRINT_PATTERN, fingerprint(error_type, message))
    once = normalise_error(message)
    assert normalise_error(once) == once


def test_the_words_that_name_the_failure_are_kept() -> None:
    missing = fingerprint("ModuleNotFoundError", "No module named 'requests'")
    assert missing == fingerprint("ModuleNotFoundError", "No module named 'requests'")
    assert missing != fingerprint("ModuleNotFoundError", "No module named 'yaml'")
    assert missing != fingerprint("ImportError", "No module named 'requests'")
    assert missing.startswith("v1-")


def test_examples_of_normalised_lines() -> None:
    assert (
        normalise_error("FAILED tests/test_api.py::test_get - assert 500 == 200 in 0.35s")
        == "FAILED test_api.py::test_get - assert <n> == <n> in <duration>"
    )
    assert (
        normalise_error("open /tmp/tmpk2j3h4/build.o at 2024-05-01T12:00:00.123Z failed")
        == "open build.o at <time> failed"
    )
    assert normalise_error("crash at 0x7ffd1234 in 1f0c6b4b0e3a") == "crash at <hex> in <n>"
