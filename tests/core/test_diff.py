"""parse_diff against real git, trap by trap, and parse_file_patches on GitHub's files entries.

Each trap is a real commit pair in a temporary repository. ``parse_diff`` must agree with git's
own ``--name-status -z`` and ``--numstat -z`` (paths, change types, counts, binary) and every
added or removed line must be the line at that number in the new or old blob.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from grimoire.core.diff import FileChange, FilePatch, ParsedDiff, parse_diff, parse_file_patches

DIFF_VARIANTS = {
    "default": ["--no-renames"],
    "renames": ["-M"],
    "copies": ["-M", "-C", "--find-copies-harder"],
    "full-index": ["-M", "--full-index"],
}
STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied"}
STATUS["T"] = "type_changed"


class Repo:
    """A throwaway git repository with an isolated configuration."""

    def __init__(self, root: Path, *, init: bool = True) -> None:
        self.root = root
        home = root.parent / "home"
        home.mkdir(exist_ok=True)
        self.env = {
            "PATH": os.environ["PATH"],
            "HOME": str(home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "LC_ALL": "C",
            "GIT_AUTHOR_NAME": "Grimoire Test",
            "GIT_AUTHOR_EMAIL": "test@example.com",
            "GIT_COMMITTER_NAME": "Grimoire Test",
            "GIT_COMMITTER_EMAIL": "test@example.com",
        }
        if not init:
            return
        self.git("init", "-q", "-b", "main")
        for key, value in {
            "user.name": "Grimoire Test",
            "user.email": "test@example.com",
            "core.quotepath": "true",
            "core.autocrlf": "false",
            "commit.gpgsign": "false",
        }.items():
            self.git("config", key, value)

    def git(self, *args: str | bytes, cwd: Path | None = None) -> bytes:
        done = subprocess.run(
            ["git", *args], cwd=cwd or self.root, env=self.env, capture_output=True, check=True
        )
        return done.stdout

    def path(self, name: str | bytes) -> bytes:
        raw = name.encode() if isinstance(name, str) else name
        return os.path.join(bytes(self.root), raw)

    def write(self, name: str | bytes, data: bytes | str) -> None:
        target = self.path(name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(target):
            os.unlink(target)
        with open(target, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)

    def symlink(self, name: str, target: str) -> None:
        link = self.path(name)
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(target, link)

    def remove(self, name: str | bytes) -> None:
        os.unlink(self.path(name))

    def commit(self) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", "change")
        return self.git("rev-parse", "HEAD").decode().strip()

    def diff(self, base: str, head: str, *flags: str) -> bytes:
        return self.git("diff", *flags, base, head)

    def blob_lines(self, rev: str, path: str) -> list[str] | None:
        try:
            data = self.git("cat-file", "blob", f"{rev}:{path}".encode(errors="surrogateescape"))
        except subprocess.CalledProcessError:
            return None
        return data.decode("utf-8", "replace").split("\n")


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def git_files(repo: Repo, base: str, head: str, *flags: str) -> list[tuple[object, ...]]:
    """Return git's own view: (change type, path, old path, additions, deletions, binary)."""
    statuses = repo.diff(base, head, "--name-status", "-z", *flags).split(b"\0")
    counts = repo.diff(base, head, "--numstat", "-z", *flags).split(b"\0")
    view: list[tuple[object, ...]] = []
    while statuses and statuses[0]:
        letter = decode(statuses.pop(0))[0]
        names = [decode(statuses.pop(0)) for _ in range(2 if letter in "RC" else 1)]
        added, deleted, inline = decode(counts.pop(0)).split("\t", 2)
        if not inline:
            del counts[:2]  # a rename or copy spells both paths out as separate fields
        binary = added == "-"
        view.append(
            (
                STATUS[letter],
                names[-1],
                names[0] if letter in "RC" else None,
                0 if binary else int(added),
                0 if binary else int(deleted),
                binary,
            )
        )
    return view


def our_files(parsed: ParsedDiff) -> list[tuple[object, ...]]:
    return [
        (f.change_type, f.path, f.old_path, f.additions, f.deletions, f.binary)
        for f in parsed.files
    ]


def check_lines(repo: Repo, base: str, head: str, change: FileChange) -> None:
    """Every added line is that line of the new blob, every removed one that of the old blob."""
    if "160000" in (change.old_mode, change.new_mode) or "\ufffd" in change.path:
        return  # a submodule has no blob; a path that was not UTF-8 cannot be named back
    new = repo.blob_lines(head, change.path)
    old = repo.blob_lines(base, change.old_path or change.path)
    for hunk in change.hunks:
        numbers = [line.number for line in hunk.added]
        assert numbers == sorted(set(numbers))
        for line in hunk.added:
            assert new is not None
            assert new[line.number - 1] == line.text
        for line in hunk.removed:
            assert old is not None
            assert old[line.number - 1] == line.text


def assert_agrees(repo: Repo, base: str, head: str) -> dict[str, ParsedDiff]:
    """Compare parse_diff with git for every diff variant; return the parsed diffs by variant."""
    parsed_by_variant = {}
    for variant, flags in DIFF_VARIANTS.items():
        parsed = parse_diff(repo.diff(base, head, *flags))
        assert parsed.errors == (), variant
        assert our_files(parsed) == git_files(repo, base, head, *flags), variant
        for change in parsed.files:
            additions = sum(len(hunk.added) for hunk in change.hunks)
            assert change.additions == additions
            check_lines(repo, base, head, change)
        parsed_by_variant[variant] = parsed
    return parsed_by_variant


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    root = tmp_path / "repo"
    root.mkdir()
    return Repo(root)


Change = Callable[[Repo], None]


def commit_pair(repo: Repo, before: Change, after: Change) -> tuple[str, str]:
    before(repo)
    base = repo.commit()
    after(repo)
    return base, repo.commit()


def by_path(parsed: ParsedDiff) -> dict[str, FileChange]:
    return {change.path: change for change in parsed.files}


# --- traps, each against real git ----------------------------------------------------------


QUOTED_NAMES = ["café.txt", "tab\there.txt", 'quote"d.txt', "back\\slash.txt", "new\nline.txt"]


def test_c_quoted_paths_are_unquoted_to_utf8(repo: Repo) -> None:
    def before(r: Repo) -> None:
        for name in QUOTED_NAMES:
            r.write(name, "one\n")

    def after(r: Repo) -> None:
        for name in QUOTED_NAMES:
            r.write(name, "one\ntwo\n")
        r.write(b"lat\xe9n.txt", b"not utf-8 name\n")
        r.write("日本/ファイル.txt", "x\n")

    base, head = commit_pair(repo, before, after)
    raw = repo.diff(base, head)
    assert b'"a/caf\\303\\251.txt"' in raw
    assert b'"b/tab\\there.txt"' in raw
    parsed = assert_agrees(repo, base, head)["default"]
    paths = set(by_path(parsed))
    assert {*QUOTED_NAMES, "lat\ufffdn.txt", "日本/ファイル.txt"} == paths


def test_non_utf8_content_keeps_the_valid_text(repo: Repo) -> None:
    def after(r: Repo) -> None:
        r.write("latin1.txt", "café\nnaïve ok\n".encode("latin-1"))
        r.write("mixed.txt", b"good \xc3\xa9 then bad \xff\xfe end\n")

    base, head = commit_pair(repo, lambda r: r.write("seed", "x\n"), after)
    files = by_path(assert_agrees(repo, base, head)["default"])
    assert files["latin1.txt"].hunks[0].added[0].text == "caf\ufffd"
    assert files["mixed.txt"].hunks[0].added[0].text == "good é then bad \ufffd\ufffd end"
    assert not files["mixed.txt"].binary


def test_paths_containing_b_slash(repo: Repo) -> None:
    def before(r: Repo) -> None:
        r.write("dir b/x b/y.txt", "one\n")
        r.write("a b/c", "moving content\nline 2\nline 3\n")

    def after(r: Repo) -> None:
        r.write("dir b/x b/y.txt", "one\ntwo\n")
        r.write("new b/file b/z", "fresh\n")
        r.remove("a b/c")
        r.write("x b/y b/z", "moving content\nline 2\nline 3\n")

    base, head = commit_pair(repo, before, after)
    files = by_path(assert_agrees(repo, base, head)["renames"])
    assert files["x b/y b/z"].old_path == "a b/c"
    assert files["dir b/x b/y.txt"].change_type == "modified"
    assert files["new b/file b/z"].change_type == "added"


@pytest.mark.parametrize("direction", ["file-to-symlink", "symlink-to-file"])
def test_type_change_is_one_entry(repo: Repo, direction: str) -> None:
    def as_file(r: Repo) -> None:
        r.write("target.txt", "t\n")
        r.write("node", "was a file\n")

    def as_link(r: Repo) -> None:
        r.write("target.txt", "t\n")
        r.symlink("node", "target.txt")

    first, second = (as_file, as_link) if direction == "file-to-symlink" else (as_link, as_file)
    base, head = commit_pair(repo, first, second)
    parsed = assert_agrees(repo, base, head)["default"]
    (change,) = parsed.files
    assert change.change_type == "type_changed"
    modes = ("100644", "120000") if direction == "file-to-symlink" else ("120000", "100644")
    assert (change.old_mode, change.new_mode) == modes
    assert change.additions == 1
    assert change.deletions == 1


def test_copies_are_copied_not_renamed(repo: Repo) -> None:
    body = "".join(f"line {n}\n" for n in range(20))

    def after(r: Repo) -> None:
        r.write("copy_same.txt", body)
        r.write("copy_edited.txt", body + "extra\n")

    base, head = commit_pair(repo, lambda r: r.write("orig.txt", body), after)
    files = by_path(assert_agrees(repo, base, head)["copies"])
    assert files["copy_same.txt"].change_type == "copied"
    assert files["copy_same.txt"].old_path == "orig.txt"
    assert files["copy_edited.txt"].change_type == "copied"
    assert files["copy_edited.txt"].additions == 1


def test_pure_rename_without_index_line(repo: Repo) -> None:
    def after(r: Repo) -> None:
        r.remove("old name.txt")
        r.write("new name.txt", "same\ncontent\n")

    base, head = commit_pair(repo, lambda r: r.write("old name.txt", "same\ncontent\n"), after)
    assert b"\nindex " not in repo.diff(base, head, "-M")
    (change,) = assert_agrees(repo, base, head)["renames"].files
    assert (change.change_type, change.path, change.old_path) == (
        "renamed",
        "new name.txt",
        "old name.txt",
    )


def test_editing_and_emptying_empty_files_is_modified(repo: Repo) -> None:
    def before(r: Repo) -> None:
        r.write("was_empty", "")
        r.write("gets_emptied", "content\n")
        r.write("to_delete_empty", "")

    def after(r: Repo) -> None:
        r.write("was_empty", "now has text\n")
        r.write("gets_emptied", "")
        r.write("new_empty", "")
        r.remove("to_delete_empty")

    base, head = commit_pair(repo, before, after)
    files = by_path(assert_agrees(repo, base, head)["default"])
    assert files["was_empty"].change_type == "modified"
    assert files["was_empty"].hunks[0].added[0].number == 1
    assert files["gets_emptied"].change_type == "modified"
    assert files["new_empty"].change_type == "added"
    assert not files["new_empty"].hunks
    assert files["to_delete_empty"].change_type == "deleted"


def test_binaries_including_a_renamed_unchanged_one(repo: Repo) -> None:
    def before(r: Repo) -> None:
        r.write("img.bin", bytes(range(256)))
        r.write("edited.bin", b"\x00\x01\x02")

    def after(r: Repo) -> None:
        r.remove("img.bin")
        r.write("moved/img.bin", bytes(range(256)))
        r.write("edited.bin", b"\x00\x01\x03")
        r.write("new.bin", b"\x00new")

    base, head = commit_pair(repo, before, after)
    parsed = parse_diff(repo.diff(base, head, "-M"))
    files = by_path(parsed)
    assert files["edited.bin"].binary
    assert files["new.bin"].binary
    assert files["new.bin"].change_type == "added"
    moved = files["moved/img.bin"]
    assert (moved.change_type, moved.old_path, moved.additions) == ("renamed", "img.bin", 0)
    # A 100% rename carries no content lines, so nothing in the text says it is binary, while
    # git's numstat looks at the blobs and prints "-". That flag is the one known difference.
    expected = [
        (*row[:5], False) if row[1] == "moved/img.bin" else row
        for row in git_files(repo, base, head, "-M")
    ]
    assert our_files(parsed) == expected
    assert parse_diff(repo.diff(base, head, "-M", "--binary")) == parsed


def test_crlf_and_other_line_breaks_stay_inside_the_line(repo: Repo) -> None:
    odd = ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
    text = "crlf line\r\nlone\rcr inside\n" + "".join(f"a{ch}b\n" for ch in odd) + "end\r\n"

    base, head = commit_pair(
        repo,
        lambda r: r.write("f.txt", "start\r\n"),
        lambda r: r.write("f.txt", "start\r\n" + text),
    )
    (change,) = assert_agrees(repo, base, head)["default"].files
    texts = [line.text for line in change.hunks[0].added]
    assert texts[0] == "crlf line\r"
    assert texts[1] == "lone\rcr inside"
    assert texts[2:-1] == [f"a{ch}b" for ch in odd]
    assert texts[-1] == "end\r"


def test_no_newline_at_end_of_file(repo: Repo) -> None:
    def before(r: Repo) -> None:
        r.write("gains_newline", "a\nb")
        r.write("loses_newline", "a\nb\n")
        r.write("neither", "a\nb")

    def after(r: Repo) -> None:
        r.write("gains_newline", "a\nb\n")
        r.write("loses_newline", "a\nb")
        r.write("neither", "a\nc")

    base, head = commit_pair(repo, before, after)
    assert b"\\ No newline at end of file" in repo.diff(base, head)
    files = by_path(assert_agrees(repo, base, head)["default"])
    assert [line.text for line in files["gains_newline"].hunks[0].added] == ["b"]
    assert [line.text for line in files["neither"].hunks[0].removed] == ["b"]


def test_mode_only_change_is_modified(repo: Repo) -> None:
    def after(r: Repo) -> None:
        os.chmod(r.path("run.sh"), 0o755)

    base, head = commit_pair(repo, lambda r: r.write("run.sh", "echo hi\n"), after)
    (change,) = assert_agrees(repo, base, head)["default"].files
    assert (change.change_type, change.old_mode, change.new_mode) == (
        "modified",
        "100644",
        "100755",
    )
    assert change.hunks == ()


def test_full_index_and_abbreviated_index_agree(repo: Repo) -> None:
    base, head = commit_pair(
        repo, lambda r: r.write("f", "1\n2\n"), lambda r: r.write("f", "1\n3\n")
    )
    parsed = assert_agrees(repo, base, head)
    assert parsed["full-index"] == parsed["renames"]
    assert parsed["default"].files[0].old_mode == "100644"


def test_submodule_entries(repo: Repo, tmp_path: Path) -> None:
    (tmp_path / "inner").mkdir()
    inner = Repo(tmp_path / "inner")
    inner.write("x", "1\n")
    inner.commit()

    def add_submodule(r: Repo) -> None:
        r.git("-c", "protocol.file.allow=always", "submodule", "add", "-q", str(inner.root), "sub")

    base, head = commit_pair(repo, lambda r: r.write("seed", "s\n"), add_submodule)
    files = by_path(assert_agrees(repo, base, head)["default"])
    assert files["sub"].new_mode == "160000"
    assert files["sub"].hunks[0].added[0].text.startswith("Subproject commit ")

    subdir = Repo(repo.root / "sub", init=False)
    subdir.write("x", "2\n")
    subdir.commit()
    updated = repo.commit()
    files = by_path(assert_agrees(repo, head, updated)["default"])
    assert files["sub"].change_type == "modified"
    assert (files["sub"].additions, files["sub"].deletions) == (1, 1)


def test_symlink_entries(repo: Repo) -> None:
    def before(r: Repo) -> None:
        r.symlink("changes", "one")
        r.symlink("goes", "gone")

    def after(r: Repo) -> None:
        r.symlink("changes", "two")
        r.remove("goes")
        r.symlink("arrives", "dir/target")

    base, head = commit_pair(repo, before, after)
    files = by_path(assert_agrees(repo, base, head)["default"])
    assert files["changes"].new_mode == "120000"
    assert files["arrives"].hunks[0].added == (files["arrives"].hunks[0].added[0],)
    assert files["arrives"].hunks[0].added[0].text == "dir/target"


def test_three_hundred_files(repo: Repo) -> None:
    def before(r: Repo) -> None:
        for n in range(320):
            r.write(f"pkg/m{n:03}.py", f"value = {n}\n")

    def after(r: Repo) -> None:
        for n in range(320):
            r.write(f"pkg/m{n:03}.py", f"value = {n + 1}\n")

    base, head = commit_pair(repo, before, after)
    parsed = assert_agrees(repo, base, head)["default"]
    assert len(parsed.files) == 320


def test_five_thousand_line_hunk(repo: Repo) -> None:
    old = "".join(f"old {n}\n" for n in range(5000))
    new = "".join(f"new {n}\n" for n in range(5200))
    base, head = commit_pair(
        repo, lambda r: r.write("big.txt", old), lambda r: r.write("big.txt", new)
    )
    (change,) = assert_agrees(repo, base, head)["default"].files
    assert (change.additions, change.deletions) == (5200, 5000)
    assert change.hunks[0].added[-1] == change.hunks[0].added[-1].__class__(5200, "new 5199")


def test_content_that_looks_like_diff_headers(repo: Repo) -> None:
    fake = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n- removed\n+ added\n"
    old = "keep\n-- a/old\n++ b/old\n" + fake + "rename from x\n"
    new = "keep\n-- a/new\n++ b/new\n" + fake.replace("x", "y") + "new file mode 100644\n"

    def before(r: Repo) -> None:
        r.write("doc.md", old)
        r.write("z_after.txt", "last\n")

    def after(r: Repo) -> None:
        r.write("doc.md", new)
        r.write("z_after.txt", "last\nmore\n")

    base, head = commit_pair(repo, before, after)
    raw = repo.diff(base, head)
    assert b"\n--- a/old\n" in raw
    assert b"\n+++ b/new\n" in raw
    parsed = assert_agrees(repo, base, head)["default"]
    assert [change.path for change in parsed.files] == ["doc.md", "z_after.txt"]


# --- malformed and truncated input ---------------------------------------------------------


SAMPLE = b"""diff --git a/app.py b/app.py
index 1111111..2222222 100644
--- a/app.py
+++ b/app.py
@@ -1,3 +1,4 @@
 import os
-print(1)
+print(2)
+raise ValueError("boom")
 x = 1
diff --git a/lib.py b/lib.py
index 3333333..4444444 100644
--- a/lib.py
+++ b/lib.py
@@ -10,2 +10,3 @@ def f():
     a
+    b
     c
"""


def test_sample_parses() -> None:
    parsed = parse_diff(SAMPLE)
    assert parsed.errors == ()
    app, lib = parsed.files
    assert [(line.number, line.text) for line in app.hunks[0].added] == [
        (2, "print(2)"),
        (3, 'raise ValueError("boom")'),
    ]
    assert [(line.number, line.text) for line in app.hunks[0].removed] == [(2, "print(1)")]
    assert [(line.number, line.text) for line in lib.hunks[0].added] == [(11, "    b")]


def test_truncated_hunk_keeps_what_was_read() -> None:
    cut = SAMPLE[: SAMPLE.index(b"+print(2)") + len(b"+print(2)\n")]
    parsed = parse_diff(cut)
    (app,) = parsed.files
    assert [line.text for line in app.hunks[0].added] == ["print(2)"]
    assert parsed.errors == (
        "truncated hunk in app.py at line 5: expected 3 old and 4 new lines, found 2 and 2",
    )


def test_hunk_cut_short_by_the_next_file() -> None:
    broken = SAMPLE.replace(b" x = 1\n", b"")
    parsed = parse_diff(broken)
    assert [change.path for change in parsed.files] == ["app.py", "lib.py"]
    assert len(parsed.errors) == 1
    assert parsed.errors[0].startswith("truncated hunk in app.py")


def test_malformed_hunk_header_and_stray_lines() -> None:
    broken = SAMPLE.replace(b"@@ -10,2 +10,3 @@", b"@@ -ten +eleven @@")
    parsed = parse_diff(b"@@ -1 +1 @@\n" + broken)
    assert [change.path for change in parsed.files] == ["app.py", "lib.py"]
    assert parsed.files[1].hunks == ()
    assert parsed.errors[0] == "hunk outside any file at line 1"
    assert parsed.errors[1].startswith("malformed hunk header in lib.py at line 16")


def test_longer_hunk_than_its_header_is_reported() -> None:
    parsed = parse_diff(SAMPLE.replace(b"@@ -10,2 +10,3 @@", b"@@ -10,1 +10,2 @@"))
    assert parsed.errors == ("hunk in lib.py has more lines than its header says, at line 18",)


def test_extra_lines_after_a_hunk_do_not_lose_the_next_hunk() -> None:
    extra = SAMPLE.replace(b"@@ -1,3 +1,4 @@", b"@@ -1,3 +1,3 @@").replace(
        b" x = 1\n", b" x = 1\n+stray\n@@ -20 +20 @@\n-p\n+q\n"
    )
    parsed = parse_diff(extra)
    app = parsed.files[0]
    assert [hunk.new_start for hunk in app.hunks] == [1, 20]
    assert [line.text for line in app.hunks[1].added] == ["q"]
    assert len(parsed.errors) == 2


def test_huge_counts_do_not_raise() -> None:
    parsed = parse_diff(b"diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1," + b"9" * 5000 + b" +1 @@\n")
    assert parsed.files[0].path == "x"
    assert parsed.errors


def test_combined_diff_is_reported() -> None:
    merge = b"diff --cc f\nindex 1,2..3\n--- a/f\n+++ b/f\n@@@ -1,1 -1,1 +1,1 @@@\n- a\n -b\n++c\n"
    parsed = parse_diff(merge + SAMPLE)
    assert [change.path for change in parsed.files] == ["app.py", "lib.py"]
    assert parsed.errors == ("combined (merge) diff at line 1 is not supported",)


def test_plain_unified_diff_and_format_patch_mail() -> None:
    plain = b"--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hi\n--- a/old.txt\n+++ /dev/null\n"
    plain += b"@@ -1 +0,0 @@\n-bye\n-- \n2.39.5\n"
    parsed = parse_diff(b"From 123 Mon Sep 17 00:00:00 2001\nSubject: [PATCH] x\n\n" + plain)
    assert parsed.errors == ()
    assert [(c.change_type, c.path) for c in parsed.files] == [
        ("added", "new.txt"),
        ("deleted", "old.txt"),
    ]


def test_str_input_is_accepted() -> None:
    assert parse_diff(SAMPLE.decode()) == parse_diff(SAMPLE)


def test_empty_input() -> None:
    assert parse_diff(b"") == ParsedDiff(files=())


# --- GitHub's "list pull request files" entries --------------------------------------------


def test_parse_file_patches_from_github_entries() -> None:
    entries = [
        FilePatch(
            filename="src/app.py",
            status="modified",
            additions=2,
            deletions=1,
            patch="@@ -10,4 +10,5 @@ def main():\n     a\n-    b\n+    c\n+    d\r\n     e\n"
            "     f\n\\ No newline at end of file",
        ),
        FilePatch(
            filename="docs/new name.md",
            status="renamed",
            previous_filename="docs/old name.md",
            additions=1,
            deletions=0,
            patch="@@ -1,2 +1,3 @@\n # Title\n+intro\n body",
        ),
        FilePatch(
            filename="docs/moved.md", status="renamed", previous_filename="docs/was.md"
        ),
        FilePatch(filename="gone.py", status="removed", deletions=1, patch="@@ -1 +0,0 @@\n-x"),
        FilePatch(filename="logo.png", status="added"),
        FilePatch(filename="data/huge.csv", status="added", additions=40000),
        FilePatch(filename="link", status="changed", additions=1, deletions=1,
                  patch="@@ -1 +1 @@\n-old\n+new"),
    ]  # fmt: skip
    parsed = parse_file_patches(entries)
    app, renamed, moved, gone, logo, huge, link = parsed.files
    assert [(line.number, line.text) for line in app.hunks[0].added] == [
        (11, "    c"),
        (12, "    d\r"),
    ]
    assert [(line.number, line.text) for line in app.hunks[0].removed] == [(11, "    b")]
    assert (renamed.change_type, renamed.old_path) == ("renamed", "docs/old name.md")
    assert renamed.hunks[0].added == (renamed.hunks[0].added[0],)
    assert (moved.change_type, moved.old_path, moved.hunks) == ("renamed", "docs/was.md", ())
    assert (gone.change_type, gone.path, gone.old_path, gone.deletions) == (
        "deleted",
        "gone.py",
        None,
        1,
    )
    assert (logo.change_type, logo.additions) == ("added", 0)
    assert (huge.additions, huge.hunks) == (40000, ())
    assert link.change_type == "type_changed"
    assert parsed.errors == (
        "GitHub sent no patch for logo.png (binary, empty or too large);"
        " its lines are not analysed",
        "GitHub sent no patch for data/huge.csv (binary, empty or too large);"
        " its lines are not analysed",
    )


def test_parse_file_patches_reports_odd_entries() -> None:
    parsed = parse_file_patches(
        [
            FilePatch(filename="a.py", status="weird", additions=1, patch="@@ -0,0 +1 @@\n+x"),
            FilePatch(filename="b.py", status="modified", additions=5, patch="@@ -1 +1,5 @@\n+x"),
        ]
    )
    assert parsed.files[0].change_type == "modified"
    assert parsed.files[1].additions == 1
    assert parsed.errors[0] == "unknown GitHub file status 'weird' for a.py"
    assert parsed.errors[1].startswith("truncated hunk in b.py at line 1")
    assert parsed.errors[2] == "GitHub counts +5 -0 for b.py but its patch holds +1 -0"
