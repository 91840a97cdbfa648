"""Which files a spell applies to: its ``applies_to`` globs, and vendored paths.

``applies_to`` is a comma-separated list of globs (``"*.py,*.pyi"``); empty means everywhere.

- A glob without ``/`` is matched against the file's name (``*.py`` matches ``src/app/x.py``);
  a glob with ``/`` against the whole path (``.github/workflows/*.yml``). ``*`` also crosses
  ``/`` (``fnmatch`` semantics), so ``docs/*`` covers the whole ``docs`` tree.
- A glob starting with ``!`` excludes what it matches (``*.py,!tests/*``): a path applies when
  some positive glob matches it and no ``!`` glob does.
- Vendored code (a ``vendor``, ``node_modules``, ``third_party``, ``site-packages``, … directory,
  or a minified ``*.min.js``) is someone else's code, copied in: the author of the pull request
  neither wrote it nor will fix it there. A spell with ``applies_to`` never fires on a vendored
  path unless one of its own globs names that directory (``vendor/*.go``). A spell with an empty
  ``applies_to`` fires everywhere, vendored files included.
- A text with no path (a CI log, ``POST /api/match``) is not a file: ``applies_to`` does not
  restrict it, and every spell may explain it.
"""

from __future__ import annotations

import functools
from fnmatch import fnmatchcase
from typing import NamedTuple

VENDORED_DIRS = frozenset(
    {
        "vendor",
        "vendored",
        "_vendor",
        "third_party",
        "third-party",
        "thirdparty",
        "node_modules",
        "bower_components",
        "site-packages",
        "dist-packages",
    }
)
VENDORED_NAMES = ("*.min.js", "*.min.css", "*.bundle.js")
OUTPUT_FILES = (
    "*.log,*.log.*,*.out,*.err,*.txt,*.output,*.trace,*.stderr,*.stdout,*.ipynb,logs/*,*/logs/*,"
    "!testdata/*,!*/testdata/*,!fixtures/*,!*/fixtures/*"
)
"""Files that hold what a program printed (CI logs, test output): where error signatures are
looked for in a diff, and the ``applies_to`` of every spell of the starter error book. Error-looking
lines elsewhere are source text (messages, docstrings); under ``testdata/`` and ``fixtures/`` they
are a test's expected output."""


class PathGlobs(NamedTuple):
    """A parsed ``applies_to``: the globs that admit a path, those that exclude one."""

    include: tuple[str, ...]
    exclude: tuple[str, ...]
    names_vendored: bool


def split_globs(applies_to: str) -> tuple[str, ...]:
    """Split ``applies_to`` into its non-empty, trimmed globs."""
    return tuple(glob.strip() for glob in applies_to.split(",") if glob.strip())


@functools.lru_cache(maxsize=4096)
def parse_globs(applies_to: str) -> PathGlobs:
    """Parse an ``applies_to`` string (cached: a spellbook has few distinct ones)."""
    globs = split_globs(applies_to)
    include = tuple(glob for glob in globs if not glob.startswith("!"))
    exclude = tuple(glob[1:] for glob in globs if glob.startswith("!") and glob[1:])
    names_vendored = any(part in VENDORED_DIRS for glob in include for part in glob.split("/")[:-1])
    return PathGlobs(include, exclude, names_vendored)


def is_vendored(path: str) -> bool:
    """Tell whether ``path`` is vendored (copied-in third-party) code."""
    *folders, name = path.split("/")
    return any(folder in VENDORED_DIRS for folder in folders) or any(
        fnmatchcase(name, glob) for glob in VENDORED_NAMES
    )


def applies(applies_to: str, path: str | None) -> bool:
    """Tell whether a spell with this ``applies_to`` may fire on the file at ``path``."""
    if path is None or not applies_to.strip():
        return True
    globs = parse_globs(applies_to)
    if not globs.include:  # only exclusions: everything else applies
        admitted = True
    else:
        admitted = any(_glob_matches(glob, path) for glob in globs.include)
    if not admitted or any(_glob_matches(glob, path) for glob in globs.exclude):
        return False
    return globs.names_vendored or not is_vendored(path)


def is_output_file(path: str) -> bool:
    """Tell whether ``path`` holds program output (a log), where error signatures are read."""
    return applies(OUTPUT_FILES, path)


def _glob_matches(glob: str, path: str) -> bool:
    if "/" in glob:
        return fnmatchcase(path, glob)
    return fnmatchcase(path.rsplit("/", 1)[-1], glob)
