"""Which files a spell applies to: globs on names and paths, exclusions, vendored code."""

from __future__ import annotations

import pytest

from grimoire.core.paths import applies, is_output_file, is_vendored, split_globs


@pytest.mark.parametrize(
    ("applies_to", "path", "expected"),
    [
        ("", "README.md", True),
        ("  ", "vendor/x.go", True),
        ("*.py,*.pyi", "src/app/models.py", True),
        ("*.py,*.pyi", "typings/x.pyi", True),
        ("*.py,*.pyi", "docs/usage.md", False),
        ("*.py", "setup.py.orig", False),
        (".github/workflows/*.yml,.github/workflows/*.yaml", ".github/workflows/ci.yml", True),
        (".github/workflows/*.yml", "ci.yml", False),
        ("Dockerfile,*.dockerfile,Dockerfile.*", "deploy/Dockerfile", True),
        ("Dockerfile,*.dockerfile,Dockerfile.*", "deploy/Dockerfile.prod", True),
        ("*.py,!tests/*", "tests/unit/test_x.py", False),
        ("*.py,!tests/*", "src/tests.py", True),
        ("!*.md", "notes.md", False),
        ("!*.md", "main.go", True),
        # vendored code is not the author's: spells with globs skip it...
        ("*.py", "pip/_vendor/rich/console.py", False),
        ("*.js", "node_modules/left-pad/index.js", False),
        ("*.js", "static/app.min.js", False),
        ("*.go", "vendor/github.com/x/y.go", False),
        # ...unless a glob names the vendored directory itself
        ("vendor/*.go", "vendor/github.com/x/y.go", True),
        # a text with no path (a CI log) is not restricted
        ("*.py", None, True),
    ],
)
def test_applies(applies_to: str, path: str | None, expected: bool) -> None:
    assert applies(applies_to, path) is expected


def test_vendored_paths() -> None:
    assert is_vendored("third_party/zlib/inflate.c")
    assert is_vendored("a/node_modules/b/c.ts")
    assert not is_vendored("src/vendors.py")
    assert not is_vendored("vendor.go")


def test_split_globs_trims_and_drops_empties() -> None:
    assert split_globs(" *.py , ,*.pyi,") == ("*.py", "*.pyi")


def test_output_files() -> None:
    assert (
        is_output_file("ci/build.log") and is_output_file("logs/pytest") and is_output_file("x.txt")
    )
    assert not is_output_file("src/app.py") and not is_output_file("docs/errors.md")
    assert not is_output_file("cmd/go/testdata/script/mod_e.txt")
    assert not is_output_file("tests/fixtures/ci.log")
