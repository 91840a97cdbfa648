"""The pull-request pipeline end to end: signed webhook in, stored analysis out, faults survived.

Each test runs the real service (``running()``: intake, queue, two in-process workers, the
pipeline, ``GitHubClient``) against the fake GitHub served on loopback, and reads the outcome
back over the API. The pull request is a real ``git diff`` made in a temporary repository: a
modified module with a leaked key, a CI log added with a Python traceback, a pytest failure, a
gcc error and a Go panic, a rename, a deletion and a binary file.

Every fault must end in a stored analysis once the fault clears, or in a clear ``failed`` status:
never a crashed worker or a stuck job (each test's harness checks on the way out that the
workers still process a delivery and nothing is left queued or processing).

stamina's testing mode takes the waits out of the client's retries (the number of tries stays
the configured one); the waits themselves are tested in tests/test_github.py. Reporting is off
(``report_mode="none"``): it has its own end-to-end tests in tests/test_reporting.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import stamina

from grimoire.config import Settings
from grimoire.core.findings import MAX_FINDINGS
from grimoire.core.webhook_signature import sign
from tests.apps import running
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub
from tests.fixtures import WEBHOOKS
from tests.servers import serve

REPO = "octo/widgets"
PULL = f"/repos/{REPO}/pulls/1"
# The delivery's own head is analysed: its diff is GitHub's comparison of base...head.
COMPARE = f"/repos/{REPO}/compare/*...*"
OPENED = WEBHOOKS / "pull_request" / "opened.1.json"
WAIT_SECONDS = 20.0
MAX_ATTEMPTS = 2
HEAD = "1f0c6b4b0e3a4c1d9a8e7f6a5b4c3d2e1f0a9b8c"
NEW_HEAD = "2e1d7c5c1f4b5d2e0b9f8a7b6c5d4e3f2a1b0c9d"

# -- the pull request: a real diff made by git ----------------------------------------------

APP_BEFORE = '''"""A tiny service."""

import os


def handler(event):
    name = event.get("name", "world")
    return f"hello {name}"


def settings():
    return {
        "debug": False,
        "region": os.environ.get("REGION", "eu-west-1"),
    }
'''
KEY_LINE = 'AWS_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"'
APP_AFTER = APP_BEFORE.replace("import os\n", f"import os\n\n{KEY_LINE}\n").replace(
    'event.get("name", "world")', 'event.get("name") or "world"'
)
GUIDE = "".join(f"Step {n}: do the thing number {n} carefully.\n" for n in range(1, 11))
CI_LOG = """\
2024-05-01T12:00:00.0000000Z ##[group]Run pytest -q
============================= test session starts ==============================
collected 4 items

tests/test_app.py ..F.                                                   [100%]

=================================== FAILURES ===================================
_________________________________ test_health __________________________________

    def test_health():
        response = client.get("/health")
>       assert response.status_code == 200
E       assert 503 == 200
E        +  where 503 = <Response [503]>.status_code

tests/test_app.py:14: AssertionError
Traceback (most recent call last):
  File "/srv/app/main.py", line 3, in <module>
    import yaml
ModuleNotFoundError: No module named 'yaml'
gcc -O2 -Wall -c src/parser.c -o build/parser.o
src/parser.c:42:13: error: 'buffer_len' undeclared (first use in this function)
   42 |     return buffer_len;
      |            ^~~~~~~~~~
panic: assignment to entry in nil map

goroutine 1 [running]:
main.main()
\t/home/runner/work/app/main.go:12 +0x1d
exit status 2
"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))

SPELLS = {
    "key": {
        "title": "Hard-coded AWS access key",
        "description": "An AWS access key id is committed in source code.",
        "error_type": "SecretLeak",
        "error_pattern": r"AKIA[0-9A-Z]{16}",
        "solution_code": "Rotate the key in IAM and read it from the environment.",
        "tags": "security,aws",
    },
    "module": {
        "title": "Python module is not installed",
        "description": "Importing a package that is missing from the environment fails.",
        "error_type": "ModuleNotFoundError",
        "error_pattern": r"No module named '?[\w.]+'?",
        "solution_code": "pip install the package, and add it to requirements.txt.",
        "tags": "python,dependencies",
    },
    "nil_map": {
        "title": "Go: write to a nil map",
        "description": "A map declared with var is nil until made; writing to it panics.",
        "error_type": "panic",
        "error_pattern": r"assignment to entry in nil map",
        "solution_code": "m := make(map[string]int)",
        "tags": "go,runtime",
    },
    "undeclared": {
        "title": "C: identifier undeclared",
        "description": "A variable or function is used before any declaration of it.",
        "error_type": "CompileError",
        "error_pattern": r"'\w+' undeclared",
        "solution_code": "Declare the identifier, or include the header that declares it.",
        "tags": "c,gcc",
    },
    "docker": {
        "title": "Docker daemon is not running",
        "description": "The docker client cannot reach the daemon socket.",
        "error_type": "DockerError",
        "error_pattern": r"Cannot connect to the Docker daemon",
        "solution_code": "Start the docker service, or use a runner with docker.",
        "tags": "docker,ci",
    },
}


@dataclass(frozen=True)
class Expected:
    """One finding the realistic diff must give: where, what, and which spell explains it."""

    path: str
    line: int
    error_type: str
    message: str
    spell: str


def line_of(text: str, needle: str) -> int:
    """The 1-based number of the first line of ``text`` that contains ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


EXPECTED_FINDINGS = [
    Expected("service/app.py", line_of(APP_AFTER, KEY_LINE), "SecretLeak", KEY_LINE, "key"),
    # Not "E       assert 503 == 200": no spell explains it, so it is no finding.
    Expected(
        "logs/ci.log",
        line_of(CI_LOG, "ModuleNotFoundError"),
        "ModuleNotFoundError",
        "No module named 'yaml'",
        "module",
    ),
    Expected(
        "logs/ci.log",
        line_of(CI_LOG, "src/parser.c:42"),
        "CompileError",
        "'buffer_len' undeclared (first use in this function)",
        "undeclared",
    ),
    Expected(
        "logs/ci.log",
        line_of(CI_LOG, "panic:"),
        "panic",
        "assignment to entry in nil map",
        "nil_map",
    ),
]


@dataclass(frozen=True)
class PullRequest:
    """A diff as GitHub would serve it, its files-list entries, and what git says it changes."""

    diff: bytes
    files: list[dict[str, Any]]
    expected_files: list[dict[str, Any]]


def git(repo: Path, *args: str) -> bytes:
    """Run git in ``repo`` with a fixed identity and no user configuration; return stdout."""
    env = {
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "HOME": str(repo),
        "GIT_AUTHOR_NAME": "Octo Cat",
        "GIT_AUTHOR_EMAIL": "octo@example.com",
        "GIT_COMMITTER_NAME": "Octo Cat",
        "GIT_COMMITTER_EMAIL": "octo@example.com",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, check=True)
    return done.stdout


def make_pull_request(repo: Path) -> PullRequest:
    """Commit a base and a head in a fresh repository; return the PR between them."""
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    write(repo, "service/app.py", APP_BEFORE)
    write(repo, "docs/old_name.md", GUIDE)
    write(repo, "build/obsolete.cfg", "[build]\njobs = 4\ncache = off\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "base")
    write(repo, "service/app.py", APP_AFTER)
    (repo / "docs/old_name.md").rename(repo / "docs/guide.md")
    write(repo, "docs/guide.md", GUIDE.replace("number 3", "number three").rstrip("\n"))
    (repo / "build/obsolete.cfg").unlink()
    write(repo, "logs/ci.log", CI_LOG)
    (repo / "assets").mkdir()
    (repo / "assets/logo.png").write_bytes(PNG)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "head")
    # What GitHub serves for a PR: `git diff` with rename detection, binaries as "differ".
    diff = git(repo, "diff", "--no-color", "--no-ext-diff", "-M", "HEAD~1", "HEAD")
    return PullRequest(diff, files_entries(diff), git_files(repo))


def write(repo: Path, path: str, text: str) -> None:
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text(text)


def git_files(repo: Path) -> list[dict[str, Any]]:
    """The files git says the head changes (``--name-status`` and ``--numstat``), by path."""
    kinds = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "copied"}
    status = git(repo, "diff", "-M", "-z", "--name-status", "HEAD~1", "HEAD").decode()
    numstat = git(repo, "diff", "-M", "-z", "--numstat", "HEAD~1", "HEAD").decode()
    counts: dict[str, tuple[int, int, bool]] = {}
    fields = iter(numstat.split("\0"))
    for head in fields:
        if not head:
            continue
        added, deleted, path = head.split("\t")
        if not path:  # a rename: the old and new paths follow as their own fields
            next(fields)
            path = next(fields)
        binary = added == "-"
        counts[path] = (0 if binary else int(added), 0 if binary else int(deleted), binary)
    files = []
    fields = iter(status.split("\0"))
    for letter in fields:
        if not letter:
            continue
        old_path = next(fields) if letter[0] in "RC" else None
        path = next(fields)
        additions, deletions, binary = counts[path]
        files.append(
            {
                "path": path,
                "old_path": old_path,
                "change_type": kinds[letter[0]],
                "binary": binary,
                "additions": additions,
                "deletions": deletions,
            }
        )
    return sorted(files, key=lambda f: f["path"])


def files_entries(diff: bytes) -> list[dict[str, Any]]:
    """GitHub's "list pull request files" entries for a diff: each file's hunks as ``patch``."""
    statuses = {"new file": "added", "deleted file": "removed", "rename from": "renamed"}
    entries = []
    for chunk in diff.decode().split("diff --git ")[1:]:
        header, _, hunks = chunk.partition("\n@@")
        first = header.split("\n")[0]
        old, new = (side[2:] for side in first.split(" "))
        status = next((s for key, s in statuses.items() if f"\n{key}" in header), "modified")
        entry: dict[str, Any] = {"filename": new, "status": status}
        if status == "renamed":
            entry["previous_filename"] = old
        if hunks:
            patch = ("@@" + hunks).rstrip("\n")
            lines = patch.split("\n")
            entry["patch"] = patch
            entry["additions"] = sum(1 for line in lines if line.startswith("+"))
            entry["deletions"] = sum(1 for line in lines if line.startswith("-"))
        entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def pull(tmp_path_factory: pytest.TempPathFactory) -> PullRequest:
    return make_pull_request(tmp_path_factory.mktemp("pr") / "repo")


@pytest.fixture(autouse=True)
def no_retry_waits() -> Iterator[None]:
    """Retry GitHub as configured (the same number of tries), without the backoff sleeps."""
    with stamina.set_testing(True, attempts=100, cap=True):
        yield


# -- driving the service ----------------------------------------------------------------------


@dataclass
class Harness:
    """The running service, the fake GitHub it talks to, and how to drive both."""

    fake: FakeGitHub
    app: httpx.AsyncClient
    settings: Settings
    spells: dict[str, int] = dataclasses.field(default_factory=dict)

    async def add_spells(self) -> None:
        for name, spell in SPELLS.items():
            response = await self.app.post("/api/spells", json=spell)
            assert response.status_code == 201, response.text
            self.spells[name] = response.json()["id"]

    async def deliver(
        self,
        number: int = 1,
        head_sha: str = HEAD,
        *,
        action: str = "synchronize",
        delivery_id: str | None = None,
    ) -> str:
        """POST a signed pull_request delivery; return its id (it must be queued)."""
        delivery_id = delivery_id or str(uuid.uuid4())
        response = await self.post_webhook(number, head_sha, action=action, delivery_id=delivery_id)
        assert (response.status_code, response.json()["status"]) == (202, "queued"), response.text
        return delivery_id

    async def post_webhook(
        self, number: int, head_sha: str, *, action: str, delivery_id: str
    ) -> httpx.Response:
        body = pull_request_event(number, head_sha, action=action)
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": delivery_id,
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/044aadd",
        }
        return await self.app.post("/webhook", content=body, headers=headers)

    async def delivery(self, delivery_id: str) -> dict[str, Any]:
        body: dict[str, Any] = await self.get(f"/api/deliveries/{delivery_id}")
        return body

    async def settled(self, delivery_id: str) -> dict[str, Any]:
        """Wait until the delivery is done, failed or skipped; return it."""
        delivery: dict[str, Any] = await until(
            lambda: self.delivery(delivery_id),
            lambda d: d["status"] in {"done", "failed", "skipped"},
        )
        return delivery

    async def analyses(self, number: int = 1) -> list[dict[str, Any]]:
        response = await self.app.get("/api/analyses", params={"repository": REPO, "pr": number})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    async def analysis_of(self, head_sha: str, number: int = 1) -> dict[str, Any]:
        """The one analysis of a head, with its files and findings."""
        [summary] = [a for a in await self.analyses(number) if a["head_sha"] == head_sha]
        body: dict[str, Any] = await self.get(f"/api/analyses/{summary['id']}")
        return body

    async def get(self, path: str, **params: Any) -> Any:
        response = await self.app.get(path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


def pull_request_event(number: int, head_sha: str, *, action: str) -> bytes:
    """A recorded pull_request payload, edited to this repository, PR and head."""
    payload = json.loads(OPENED.read_bytes())
    payload["action"] = action
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head_sha
    payload["repository"]["full_name"] = REPO
    return json.dumps(payload).encode()


async def until(
    fetch: Callable[[], Awaitable[Any]],
    done: Callable[[Any], bool],
    *,
    within: float = WAIT_SECONDS,
) -> Any:
    """Poll ``fetch()`` until ``done(value)``; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = await fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still not there after {within} s: {value!r}"
        await asyncio.sleep(0.02)


@asynccontextmanager
async def harness(app_settings: Settings, **overrides: Any) -> AsyncIterator[Harness]:
    """Serve a fake GitHub and the service pointed at it; check the workers survived on exit."""
    fake = FakeGitHub()
    token = fake.add_token()
    async with serve(fake) as url:
        settings = dataclasses.replace(
            app_settings,
            github_api_url=url,
            github_api_token=token,
            worker_concurrency=2,
            retry_base_seconds=1,
            delivery_max_attempts=MAX_ATTEMPTS,
            report_mode="none",
            **overrides,
        )
        async with running(settings) as app:
            h = Harness(fake, app, settings)
            yield h
            await workers_still_work(h)


async def workers_still_work(h: Harness) -> None:
    """A fresh delivery is processed, and no job is left queued or processing."""
    h.fake.faults.clear()
    h.fake.add_pull(REPO, 999, diff=b"", head_sha="9" * 40)
    canary = await h.settled(await h.deliver(999, "9" * 40))
    assert canary["status"] == "done", canary
    for status in ("queued", "processing"):
        stuck = await h.get("/api/deliveries", status=status)
        assert stuck == [], stuck


def files_of(analysis: dict[str, Any], *, binary: bool = True) -> list[dict[str, Any]]:
    """The analysis's files in git's terms, by path."""
    keys = ["path", "old_path", "change_type", "additions", "deletions"] + ["binary"] * binary
    return sorted(({k: f[k] for k in keys} for f in analysis["files"]), key=lambda f: f["path"])


def without_binary(files: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in f.items() if k != "binary"} for f in files]


def check_findings(h: Harness, analysis: dict[str, Any], expected: list[Expected]) -> None:
    """The analysis holds exactly the expected findings, ranked, each with its spell."""
    findings = analysis["findings"]
    assert analysis["findings_count"] == len(findings)
    got = {(f["path"], f["line"]): f for f in findings}
    assert sorted(got) == sorted((e.path, e.line) for e in expected)
    titles = {h.spells[name]: SPELLS[name]["title"] for name in h.spells}
    for e in expected:
        finding = got[(e.path, e.line)]
        assert (finding["error_type"], finding["message"]) == (e.error_type, e.message)
        assert finding["excerpt"].startswith(f"{e.path}:{e.line}\n")
        assert finding["spell_id"] == h.spells[e.spell], finding
        assert finding["spell_title"] == titles[finding["spell_id"]]
        assert finding["solution"] == SPELLS[e.spell]["solution_code"]
        assert finding["score"] > 0
    # Ranked 1..n by score, best first; every finding has a spell.
    assert [f["rank"] for f in findings] == list(range(1, len(findings) + 1))
    order = [-f["score"] for f in findings]
    assert order == sorted(order)


async def analysed(h: Harness, delivery_id: str, head_sha: str = HEAD) -> dict[str, Any]:
    """Wait for the delivery to be done; return its head's analysis."""
    delivery = await h.settled(delivery_id)
    assert (delivery["status"], delivery["last_error"]) == ("done", None), delivery
    analysis = await h.analysis_of(head_sha)
    assert analysis["status"] == "done"
    assert analysis["delivery_id"] == delivery_id
    return analysis


# -- the happy path ---------------------------------------------------------------------------


async def test_a_pull_request_is_analysed_into_files_and_ranked_findings(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        analysis = await analysed(h, await h.deliver(1, HEAD, action="opened"))
        assert (analysis["repository"], analysis["pr_number"]) == (REPO, 1)
        assert (analysis["source"], analysis["error"]) == ("diff", None)
        assert files_of(analysis) == pull.expected_files
        assert {f["change_type"] for f in pull.expected_files} == {
            "added",
            "modified",
            "deleted",
            "renamed",
        }
        assert analysis["files_changed"] == len(pull.expected_files)
        assert analysis["additions"] == sum(f["additions"] for f in pull.expected_files)
        assert analysis["deletions"] == sum(f["deletions"] for f in pull.expected_files)
        check_findings(h, analysis, EXPECTED_FINDINGS)
        [diff_request] = h.fake.requests_to("GET", COMPARE)
        assert diff_request.headers["accept"] == "application/vnd.github.diff"
        assert diff_request.token == h.settings.github_api_token


# -- transient faults: retried, then the analysis is stored ----------------------------------


async def test_two_502s_are_retried_within_the_attempt(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        h.fake.fail("GET", COMPARE, status=502, times=2)
        delivery = await h.deliver()
        analysis = await analysed(h, delivery)
        check_findings(h, analysis, EXPECTED_FINDINGS)
        assert [r.status for r in h.fake.requests_to("GET", COMPARE)] == [502, 502, 200]
        assert (await h.delivery(delivery))["attempts"] == 1


async def test_a_read_timeout_is_retried(app_settings: Settings, pull: PullRequest) -> None:
    # The app's GitHub client reads for up to 30 s; GITHUB_READ_TIMEOUT_SECONDS=1 keeps this short.
    async with harness(dataclasses.replace(app_settings, github_read_timeout=1)) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        h.fake.stall("GET", COMPARE, seconds=2.5)
        delivery = await h.deliver()
        analysis = await analysed(h, delivery)
        check_findings(h, analysis, EXPECTED_FINDINGS)
        stalled, answered = h.fake.requests_to("GET", COMPARE)
        # Given up on after the read timeout (less a margin: the clocks start at different moments).
        assert answered.started - stalled.started >= 0.9
        assert answered.status == 200
        assert (await h.delivery(delivery))["attempts"] == 1


# -- rate limits: the job waits in the queue for the reset, without spending an attempt -------


async def wait_rate_limited(h: Harness, delivery_id: str) -> dict[str, Any]:
    """Wait until the delivery is back in the queue because of a rate limit; return it."""
    delivery: dict[str, Any] = await until(
        lambda: h.delivery(delivery_id),
        lambda d: d["status"] == "queued" and "rate limit" in (d["last_error"] or ""),
    )
    return delivery


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


async def test_a_primary_rate_limit_requeues_the_job_until_the_reset(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        # x-ratelimit-reset is in whole epoch seconds: the job is due at that second.
        wall, monotonic = datetime.now(UTC), time.monotonic()
        reset = (wall + timedelta(seconds=2)).replace(microsecond=0)
        h.fake.rate_limit("GET", COMPARE, reset=reset)
        delivery = await h.deliver()
        waiting = await wait_rate_limited(h, delivery)
        assert waiting["attempts"] == 0  # the attempt was given back
        assert at(waiting["next_attempt_at"]) >= reset  # (later only if GitHub answered late)
        assert "403" in waiting["last_error"]

        analysis = await analysed(h, delivery)
        check_findings(h, analysis, EXPECTED_FINDINGS)
        limited, retried = h.fake.requests_to("GET", COMPARE)
        assert (limited.status, retried.status) == (403, 200)
        reset_monotonic = monotonic + (reset - wall).total_seconds()
        assert retried.started >= reset_monotonic - 0.05  # not before the reset
        assert (await h.delivery(delivery))["attempts"] == 1


async def test_a_secondary_rate_limit_waits_for_retry_after(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        h.fake.secondary_rate_limit("GET", COMPARE, retry_after=1)
        delivery = await h.deliver()
        waiting = await wait_rate_limited(h, delivery)
        assert waiting["attempts"] == 0
        assert "secondary rate limit" in waiting["last_error"]

        analysis = await analysed(h, delivery)
        check_findings(h, analysis, EXPECTED_FINDINGS)
        limited, retried = h.fake.requests_to("GET", COMPARE)
        assert (limited.status, retried.status) == (403, 200)
        assert retried.started - limited.finished >= 0.9  # Retry-After: 1
        assert (await h.delivery(delivery))["attempts"] == 1


# -- a diff too large for GitHub: built from the files list ---------------------------------


async def test_a_too_large_diff_is_built_from_the_files_list(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        # GitHub sends no patch for a binary (logo.png), nor for a file whose own patch is too
        # large (made so here for obsolete.cfg): their counts come from the entry.
        files = [
            {k: v for k, v in f.items() if k != "patch" or f["filename"] != "build/obsolete.cfg"}
            for f in pull.files
        ]
        h.fake.add_pull(REPO, 1, files=files, head_sha=HEAD, too_large="lines")
        delivery = await h.deliver()
        analysis = await analysed(h, delivery)
        assert analysis["source"] == "files"
        assert analysis["error"].splitlines() == [
            no_patch("assets/logo.png"),
            no_patch("build/obsolete.cfg"),
        ]
        expected = without_binary(pull.expected_files)
        assert files_of(analysis, binary=False) == expected
        check_findings(h, analysis, EXPECTED_FINDINGS)
        [too_large] = h.fake.requests_to("GET", COMPARE)
        assert too_large.status == 406
        [listing] = h.fake.requests_to("GET", f"{PULL}/files")
        assert listing.query["per_page"] == "100"


def no_patch(path: str) -> str:
    return (
        f"GitHub sent no patch for {path} (binary, empty or too large); its lines are not analysed"
    )


async def test_a_files_list_over_several_pages_is_read_whole(
    app_settings: Settings, pull: PullRequest
) -> None:
    padding = [
        {"filename": f"src/gen/mod_{n:03}.py", "status": "added", "additions": 1,
         "patch": f"@@ -0,0 +1 @@\n+VALUE_{n} = {n}"}
        for n in range(230)
    ]  # fmt: skip
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, files=padding + pull.files, head_sha=HEAD, too_large="files")
        analysis = await analysed(h, await h.deliver())
        assert analysis["source"] == "files"
        assert analysis["error"] == no_patch("assets/logo.png")
        assert analysis["files_changed"] == len(padding) + len(pull.files)
        check_findings(h, analysis, EXPECTED_FINDINGS)
        pages = h.fake.requests_to("GET", f"{PULL}/files")
        assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]


# -- permanent refusals and faults that do not clear: a clear failed status ------------------


async def test_a_missing_pull_request_fails_at_once_with_the_reason(
    app_settings: Settings,
) -> None:
    async with harness(app_settings) as h:
        delivery = await h.settled(await h.deliver(404, HEAD))
        assert (delivery["status"], delivery["attempts"]) == ("failed", 1)
        assert "404" in delivery["last_error"]
        assert "does not exist, or the token cannot see it" in delivery["last_error"]
        [analysis] = await h.analyses(404)
        assert analysis["status"] == "failed"
        assert analysis["error"] == delivery["last_error"]
        assert len(h.fake.requests_to("GET", COMPARE)) == 1  # never retried


async def test_a_persistent_503_fails_after_the_attempts_then_a_redelivery_succeeds(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        h.fake.fail("GET", COMPARE, status=503, times=None)
        delivery = await h.deliver()
        failed = await h.settled(delivery)
        assert (failed["status"], failed["attempts"]) == ("failed", MAX_ATTEMPTS)
        assert "GitHubUnavailable: GitHub answered 503" in failed["last_error"]
        assert "gave up after 4 attempts" in failed["last_error"]
        # Four tries per attempt (the client's retries), MAX_ATTEMPTS attempts (the queue's).
        assert len(h.fake.requests_to("GET", COMPARE)) == 4 * MAX_ATTEMPTS
        broken = await h.analysis_of(HEAD)
        assert broken["status"] == "failed"
        assert "503" in broken["error"]

        # GitHub is back; redelivering the failed delivery from GitHub's UI runs it again.
        h.fake.faults.clear()
        response = await h.post_webhook(1, HEAD, action="synchronize", delivery_id=delivery)
        assert (response.status_code, response.json()["status"]) == (202, "queued")
        analysis = await analysed(h, delivery)
        assert analysis["id"] == broken["id"]
        check_findings(h, analysis, EXPECTED_FINDINGS)


# -- diffs that do not parse cleanly ---------------------------------------------------------


async def test_a_malformed_and_truncated_diff_keeps_what_parsed_and_says_what_did_not(
    app_settings: Settings, pull: PullRequest
) -> None:
    text = pull.diff.decode()
    # Break the rename's hunk header, and cut the diff off in the middle of the CI log.
    text = text.replace("@@ -1,10 +1,10 @@", "@@ -1,ten +1,10 @@", 1)
    cut = text.index("gcc -O2")
    broken = text[:cut].encode()
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=broken, head_sha=HEAD)
        analysis = await analysed(h, await h.deliver())
        error = analysis["error"]
        assert "malformed hunk header in docs/guide.md" in error
        assert "truncated hunk in logs/ci.log" in error
        paths = [f["path"] for f in analysis["files"]]
        assert "service/app.py" not in paths  # after the cut
        assert {"assets/logo.png", "build/obsolete.cfg", "docs/guide.md", "logs/ci.log"} <= set(
            paths
        )
        check_findings(h, analysis, EXPECTED_FINDINGS[1:2])  # the lines before the cut


async def test_a_diff_that_is_not_a_diff_is_an_analysis_with_an_error(
    app_settings: Settings,
) -> None:
    async with harness(app_settings) as h:
        h.fake.add_pull(REPO, 1, diff=b"@@ -1 +1 @@\n+\xff\xfe binary junk\n", head_sha=HEAD)
        analysis = await analysed(h, await h.deliver())
        assert analysis["files"] == []
        assert "hunk outside any file" in analysis["error"]


# -- idempotency: one analysis per head ------------------------------------------------------


async def test_one_analysis_per_head_however_often_it_is_delivered(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        first = await h.deliver(action="opened")
        original = await analysed(h, first)

        # The same delivery again (GitHub redelivers one that succeeded): a duplicate, not rerun.
        again = await h.post_webhook(1, HEAD, action="opened", delivery_id=first)
        assert (again.status_code, again.json()["status"]) == (200, "duplicate")
        # Other events for the same head, two at once: the analysis is rewritten, once if the
        # second arrives while the first waits (coalesced), twice if after it ran.
        later = await asyncio.gather(h.deliver(action="reopened"), h.deliver(action="synchronize"))
        settled = [await h.settled(d) for d in later]
        assert "done" in [d["status"] for d in settled]
        for delivery in settled:
            if delivery["status"] == "skipped":
                assert delivery["last_error"].startswith("coalesced into delivery ")
        runs = [d for d in settled if d["status"] == "done"]
        [only] = await h.analyses()
        rewritten = await h.analysis_of(HEAD)
        assert only["id"] == rewritten["id"] == original["id"]
        assert rewritten["delivery_id"] in later
        assert at(rewritten["updated_at"]) > at(original["updated_at"])
        assert files_of(rewritten) == pull.expected_files  # replaced, not appended
        check_findings(h, rewritten, EXPECTED_FINDINGS)
        assert len(h.fake.requests_to("GET", COMPARE)) == 1 + len(runs)

        # A new head is a second analysis, listed first.
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=NEW_HEAD)
        await analysed(h, await h.deliver(1, NEW_HEAD), NEW_HEAD)
        listed = await h.analyses()
        assert [a["head_sha"] for a in listed] == [NEW_HEAD, HEAD]


async def test_a_delivery_retried_after_a_newer_push_analyses_its_own_head(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        # The pull request moves on to a head whose diff has nothing to find before the
        # delivery for HEAD is processed (a retry, or a slow queue): HEAD's own diff is analysed.
        h.fake.add_pull(REPO, 1, diff=b"", head_sha=NEW_HEAD)
        analysis = await analysed(h, await h.deliver(1, HEAD))
        assert analysis["head_sha"] == HEAD
        assert files_of(analysis) == pull.expected_files
        check_findings(h, analysis, EXPECTED_FINDINGS)
        [compared] = h.fake.requests_to("GET", COMPARE)
        assert compared.path.endswith(f"...{HEAD}")
        assert h.fake.requests_to("GET", PULL) == []


async def test_a_too_large_diff_of_an_older_head_is_built_from_the_comparison(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, files=pull.files, head_sha=HEAD, too_large="files")
        h.fake.add_pull(REPO, 1, diff=b"", head_sha=NEW_HEAD)
        analysis = await analysed(h, await h.deliver(1, HEAD))
        assert analysis["source"] == "files"
        check_findings(h, analysis, EXPECTED_FINDINGS)
        # The pull request's own files list is NEW_HEAD's: the comparison's is HEAD's.
        assert h.fake.requests_to("GET", f"{PULL}/files") == []
        diff, listing = h.fake.requests_to("GET", COMPARE)
        assert (diff.status, listing.status) == (406, 200)


async def test_deleting_a_spell_keeps_past_findings_readable(
    app_settings: Settings, pull: PullRequest
) -> None:
    async with harness(app_settings) as h:
        await h.add_spells()
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=HEAD)
        before = await analysed(h, await h.deliver())
        key_spell = h.spells["key"]
        response = await h.app.delete(f"/api/spells/{key_spell}")
        assert response.status_code == 204
        assert (await h.app.get(f"/api/spells/{key_spell}")).status_code == 404

        after = await h.analysis_of(HEAD)
        assert after["findings"] == before["findings"]
        [leak] = [f for f in after["findings"] if f["error_type"] == "SecretLeak"]
        assert (leak["spell_id"], leak["spell_title"]) == (key_spell, SPELLS["key"]["title"])
        assert leak["solution"] == SPELLS["key"]["solution_code"]

        # A later head no longer finds what only the deleted spell knew about.
        h.fake.add_pull(REPO, 1, diff=pull.diff, head_sha=NEW_HEAD)
        newer = await analysed(h, await h.deliver(1, NEW_HEAD), NEW_HEAD)
        del h.spells["key"]
        check_findings(h, newer, EXPECTED_FINDINGS[1:])


async def test_errors_past_the_findings_cap_are_noted_in_the_analysis(
    app_settings: Settings,
) -> None:
    count = MAX_FINDINGS + 50
    lines = [
        line
        for n in range(count)
        for line in (
            "Traceback (most recent call last):",
            f'  File "/srv/app/jobs.py", line {n + 1}, in run',
            "    job()",
            f"KeyError: 'job-{n}'",
        )
    ]
    body = "".join(f"+{line}\n" for line in lines)
    diff = (
        "diff --git a/logs/ci.log b/logs/ci.log\nnew file mode 100644\nindex 0000000..1111111\n"
        f"--- /dev/null\n+++ b/logs/ci.log\n@@ -0,0 +1,{len(lines)} @@\n{body}"
    )
    missing_job = {
        "title": "Job is not registered",
        "description": "The job runner looked up a job id that no worker registered.",
        "error_type": "KeyError",
        "error_pattern": r"KeyError: 'job-\d+'",
        "solution_code": "Register the job before queueing it.",
    }
    async with harness(app_settings) as h:
        assert (await h.app.post("/api/spells", json=missing_job)).status_code == 201
        h.fake.add_pull(REPO, 1, diff=diff.encode(), head_sha=HEAD)
        analysis = await analysed(h, await h.deliver())
        assert analysis["findings_count"] == len(analysis["findings"]) == MAX_FINDINGS
        assert analysis["error"] == (
            f"more than {MAX_FINDINGS} findings: only the first {MAX_FINDINGS} kept"
        )
