"""Precision of the starter code book on real, well-kept code: findings per 10,000 added lines.

Every file of a corpus is read as if a pull request added it whole, and goes through
``find_errors`` (the function the worker runs on a diff) with the code book alone, and with both
seeded books (what ``grimoire spells seed`` gives). Real diffs come from git histories: each
commit of ``git log -p`` is one pull request. Good code should give (almost) no findings: each
one is listed in the results for review, with its credential masked as in a PR comment.

The split between tuning and held-out code was fixed before any spell was tuned, and is:

- tuning: this interpreter's site-packages (the venv: SQLAlchemy, hypothesis, starlette, pip's
  vendored code…), npm's bundled packages whose name starts with a-m, Go's standard library
  packages a-m, and the git histories named ``click`` and ``requests``;
- held-out: this interpreter's standard library (Lib/, tests included), npm's own code and its
  bundled packages n-z, Go's standard library packages n-z, and the git histories named
  ``flask`` and ``express``.

Spells were reviewed and fixed against the tuning part only; the held-out part is measured.

Run: ``python bench/code_precision.py --repo click=PATH/TO/click.git --repo flask=... \\
--repo requests=... --repo express=... [--commits 3000] [--part tuning|held-out|both]``
(``PATH`` is a git directory or a work tree). Writes bench/results/code_precision.md.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import sysconfig
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grimoire.core.diff import FileChange, Hunk, Line, parse_diff
from grimoire.core.findings import Finding, find_errors
from grimoire.core.matching import Spellbook, compile_spellbook
from grimoire.spellbook import load_code_spellbook, load_starter_spellbook

RESULTS = Path(__file__).with_name("results") / "code_precision.md"
TUNING_REPOS = ("click", "requests")
HELD_OUT_REPOS = ("flask", "express")
SUFFIXES = {
    *(".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".java", ".kt", ".sh"),
    *(".bash", ".yml", ".yaml", ".md", ".rst", ".txt", ".cfg", ".toml", ".ini", ".html"),
    *(".json", ".s", ".c", ".h"),
}
NAMES = {"Dockerfile", "Makefile", "Containerfile"}
MAX_FILE_BYTES = 2 << 20


@dataclass
class Tally:
    """What one corpus part gave: lines read and the findings of each book."""

    files: int = 0
    lines: int = 0
    code: list[Finding] = field(default_factory=list)
    both: list[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def per_10k(self, findings: list[Finding]) -> float:
        return 10_000 * len(findings) / max(self.lines, 1)


@dataclass
class Source:
    """One corpus source: a name for the report, and the changes it yields."""

    name: str
    changes: Iterator[tuple[FileChange, ...]]


def tree_files(root: Path, *, keep: tuple[str, str] | None = None) -> Iterator[Path]:
    """Yield the text files under ``root`` (first path part in ``keep``'s letter range)."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if keep is not None and not keep[0] <= relative.parts[0][:1].lower() <= keep[1]:
            continue
        if "__pycache__" in relative.parts or not path.is_file() or path.is_symlink():
            continue
        wanted = path.suffix in SUFFIXES or path.name in NAMES
        if wanted and path.stat().st_size <= MAX_FILE_BYTES:
            yield path


def added_file(root: Path, path: Path) -> tuple[FileChange, ...]:
    """The change that adds ``path`` whole (named relative to ``root``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ()
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    added = tuple(Line(number=n, text=line) for n, line in enumerate(lines, 1))
    hunk = Hunk(old_start=0, old_length=0, new_start=1, new_length=len(added), added=added)
    rel = path.relative_to(root).as_posix()
    return (FileChange(path=rel, old_path=None, change_type="added", hunks=(hunk,)),)


def tree(name: str, root: Path, *, keep: tuple[str, str] | None = None) -> Source:
    return Source(name, (added_file(root, path) for path in tree_files(root, keep=keep)))


def history(name: str, repo: Path, commits: int) -> Source:
    """Each of the last ``commits`` non-merge commits of a repository, as one pull request."""

    def changes() -> Iterator[tuple[FileChange, ...]]:
        out = subprocess.run(
            [
                *(
                    "git",
                    "-C",
                    str(repo),
                    "log",
                    "-p",
                    "--no-merges",
                    "--no-color",
                    "--no-ext-diff",
                ),
                *("-M", "--format=%x00%H", f"-n{commits}"),
            ],
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8", "replace")
        for chunk in out.split("\x00")[1:]:
            _, _, diff = chunk.partition("\n")
            yield parse_diff(diff.lstrip("\n")).files

    return Source(f"git log -p: {name} (last {commits} commits)", changes())


def npm_root() -> Path | None:
    try:
        out = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    root = Path(out.stdout.strip()) / "npm"
    return root if root.is_dir() else None


def go_root() -> Path | None:
    try:
        out = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    root = Path(out.stdout.strip()) / "src"
    return root if root.is_dir() else None


def sources(part: str, repos: dict[str, Path], commits: int) -> list[Source]:
    """The corpus of one part, as fixed in the module docstring."""
    found: list[Source] = []
    npm, go = npm_root(), go_root()
    if part == "tuning":
        found.append(tree("site-packages (this venv)", Path(sysconfig.get_paths()["purelib"])))
        if npm:
            found.append(tree("npm's packages a-m", npm / "node_modules", keep=("a", "m")))
        if go:
            found.append(tree("Go standard library a-m", go, keep=("a", "m")))
        names = TUNING_REPOS
    else:
        stdlib = Path(sysconfig.get_paths()["stdlib"])
        found.append(Source("Python standard library", stdlib_changes(stdlib)))
        if npm:
            found.append(tree("npm's own code", npm, keep=("a", "l")))
            found.append(tree("npm's packages n-z", npm / "node_modules", keep=("n", "z")))
        if go:
            found.append(tree("Go standard library n-z", go, keep=("n", "z")))
        names = HELD_OUT_REPOS
    found += [history(name, repos[name], commits) for name in names if name in repos]
    missing = [name for name in names if name not in repos]
    if missing:
        print(f"not measured (no --repo given): {', '.join(missing)}", file=sys.stderr)
    return found


def stdlib_changes(stdlib: Path) -> Iterator[tuple[FileChange, ...]]:
    """The standard library's files, without the installed packages it holds."""
    for path in tree_files(stdlib):
        if {"site-packages", "dist-packages"} & set(path.relative_to(stdlib).parts):
            continue
        yield added_file(stdlib, path)


def measure(source: Source, code: Spellbook, both: Spellbook) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    for files in source.changes:
        files = tuple(f for f in files if not f.binary and f.change_type != "deleted")
        if not files:
            continue
        tally.files += len(files)
        tally.lines += sum(len(h.added) for f in files for h in f.hunks)
        tally.code += find_errors(files, code)[0]
        tally.both += find_errors(files, both)[0]
    tally.seconds = time.perf_counter() - started
    return tally


def report(part: str, results: list[tuple[Source, Tally]]) -> list[str]:
    lines = [f"## {part}", ""]
    lines += [
        "| source | files | added lines | code book findings | per 10k | both books | per 10k |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    total = Tally()
    for source, tally in results:
        lines.append(_row(source.name, tally))
        total.files += tally.files
        total.lines += tally.lines
        total.code += tally.code
        total.both += tally.both
    lines.append(_row("**all**", total))
    lines += ["", "Findings per spell (both books):", ""]
    per_spell = Counter(f.spell_title for f in total.both)
    lines += [f"- {count} × {title}" for title, count in per_spell.most_common()] or ["- none"]
    lines += ["", "Every finding (both books), for review:", ""]
    for source, tally in results:
        for f in tally.both:
            text = f.message[:150].replace("`", "'")
            lines.append(f"- {source.name} · `{f.path}:{f.line}` · {f.spell_title} · `{text}`")
    if not total.both:
        lines.append("- none")
    return [*lines, ""]


def _row(name: str, t: Tally) -> str:
    return (
        f"| {name} | {t.files:,} | {t.lines:,} | {len(t.code)} | {t.per_10k(t.code):.2f} "
        f"| {len(t.both)} | {t.per_10k(t.both):.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repo", action="append", default=[], help="NAME=PATH of a git repo")
    parser.add_argument("--commits", type=int, default=3000)
    parser.add_argument("--part", choices=("tuning", "held-out", "both"), default="both")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    repos = {name: Path(path) for name, _, path in (r.partition("=") for r in args.repo)}
    code_drafts, all_drafts = load_code_spellbook(), load_starter_spellbook()
    code = compile_spellbook(d.record(i) for i, d in enumerate(code_drafts, 1))
    both = compile_spellbook(d.record(i) for i, d in enumerate(all_drafts, 1))
    parts = ["tuning", "held-out"] if args.part == "both" else [args.part]
    out = [
        "# Code book precision on real code",
        "",
        f"`python bench/code_precision.py` ({len(code_drafts)} code spells, "
        f"{len(all_drafts)} in both books; git histories: last {args.commits} commits each). "
        "Corpus and split: see the script's docstring.",
        "",
    ]
    for part in parts:
        results = []
        for source in sources(part, repos, args.commits):
            tally = measure(source, code, both)
            print(
                f"{part}: {source.name}: {tally.lines:,} lines, {len(tally.code)} code / "
                f"{len(tally.both)} both findings, {tally.seconds:.0f} s",
                file=sys.stderr,
            )
            results.append((source, tally))
        out += report(part, results)
    args.out.write_text("\n".join(out), encoding="utf-8")
    print("\n".join(out))


if __name__ == "__main__":
    main()
