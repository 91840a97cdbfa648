"""The whole service against the fake GitHub, driven like production: signed webhooks in.

``stage(database_url, ...)`` serves a ``FakeGitHub`` on loopback, starts the app (``running()``)
with in-process workers and ``GITHUB_API_URL`` pointing at the fake, and yields a ``Stage``:
the fake (to register pull requests and inspect what it received) and an HTTP client for the app
(to create spells, send deliveries and read analyses). Nothing is mocked: every GitHub call goes
over real HTTP through ``GitHubClient``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal

import httpx

from grimoire.config import Settings
from grimoire.core.webhook_signature import sign
from tests.apps import running
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub, app_key_pair
from tests.fixtures import WEBHOOKS
from tests.servers import serve

REPO = "octo/widgets"
APP_ID = 4242
INSTALLATION = 77
WAIT_SECONDS = 20.0
OPENED = WEBHOOKS / "pull_request" / "opened.1.json"

# Spells whose patterns match the lines ``diff_adding`` adds.
AWS_KEY = {
    "title": "Hard-coded AWS access key",
    "description": "An AWS access key id is committed in source code.",
    "error_type": "SecretLeak",
    "error_pattern": r"AKIA[0-9A-Z]{16}",
    "solution_code": "Rotate the key in IAM, then read it from the environment:\n"
    "key = os.environ['AWS_ACCESS_KEY_ID']",
    "tags": "security,aws",
}
DEBUGGER = {
    "title": "Debugger left in code",
    "description": "A breakpoint call stops the program in production.",
    "error_type": "DebuggerStatement",
    "error_pattern": r"\bbreakpoint\(\)",
    "solution_code": "Remove the breakpoint() call before merging.",
    "tags": "python,debugging",
}
KEY_LINE = 'KEY = "AKIAABCDEFGHIJKLMNOP"'
BREAK_LINE = "breakpoint()"


@dataclass
class Stage:
    """A running service, the fake GitHub it talks to, and how to drive them."""

    fake: FakeGitHub
    app: httpx.AsyncClient
    settings: Settings

    async def add_spell(self, spell: dict[str, str]) -> int:
        """Create a spell over the API and return its id."""
        response = await self.app.post("/api/spells", json=spell)
        assert response.status_code == 201, response.text
        spell_id: int = response.json()["id"]
        return spell_id

    async def push(
        self, number: int, head_sha: str, diff: bytes, *, action: str = "synchronize"
    ) -> str:
        """Make the PR's head ``head_sha`` with ``diff`` on the fake, deliver the event."""
        self.fake.add_pull(REPO, number, diff=diff, head_sha=head_sha)
        return await self.deliver(number, head_sha, action=action)

    async def deliver(self, number: int, head_sha: str, *, action: str = "synchronize") -> str:
        """POST a signed pull_request delivery to /webhook; return its delivery id."""
        return await self.send(pull_request_event(number, head_sha, action=action))

    async def send(self, body: bytes) -> str:
        """POST ``body`` signed as a pull_request delivery with a new delivery id; return it."""
        delivery_id = str(uuid.uuid4())
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": delivery_id,
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/044aadd",
        }
        response = await self.app.post("/webhook", content=body, headers=headers)
        assert response.status_code == 202, response.text
        return delivery_id

    async def delivery(self, delivery_id: str) -> dict[str, Any]:
        """GET /api/deliveries/{id}."""
        response = await self.app.get(f"/api/deliveries/{delivery_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def analysis(self, number: int, head_sha: str) -> dict[str, Any] | None:
        """The analysis of one head (with its findings), if there is one."""
        response = await self.app.get("/api/analyses", params={"repository": REPO, "pr": number})
        assert response.status_code == 200, response.text
        found = [a for a in response.json() if a["head_sha"] == head_sha]
        if not found:
            return None
        one = await self.app.get(f"/api/analyses/{found[0]['id']}")
        body: dict[str, Any] = one.json()
        return body

    async def settled(self, delivery_id: str) -> dict[str, Any]:
        """Wait until the delivery is done, skipped or failed for good; return it."""
        settled: dict[str, Any] = await until(
            lambda: self.delivery(delivery_id),
            lambda d: d["status"] in {"done", "skipped", "failed"},
        )
        return settled

    async def reported(self, number: int, head_sha: str, delivery_id: str) -> dict[str, Any]:
        """Wait until the delivery settled, then return the analysis of its head."""
        await self.settled(delivery_id)
        analysis = await self.analysis(number, head_sha)
        assert analysis is not None
        return analysis


async def until(
    fetch: Callable[[], Awaitable[Any]],
    done: Callable[[Any], bool],
    *,
    within: float = WAIT_SECONDS,
) -> Any:
    """Poll ``fetch()`` until ``done(value)``; return the value (fail after ``within`` seconds)."""
    deadline = time.monotonic() + within
    while True:
        value = await fetch()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"still not there after {within} s: {value!r}"
        await asyncio.sleep(0.05)


@asynccontextmanager
async def stage(
    database_url: str,
    *,
    auth: Literal["token", "app"] = "token",
    fake: FakeGitHub | None = None,
    app: Callable[[FakeGitHub], Any] | None = None,
    **overrides: Any,
) -> AsyncIterator[Stage]:
    """Serve a fake GitHub (wrapped by ``app`` if given) and the service configured against it."""
    fake = fake or FakeGitHub()
    async with serve(app(fake) if app else fake) as url:
        settings = Settings(
            database_url=database_url,
            github_webhook_secret=WEBHOOK_SECRET,
            app_env="test",
            github_api_url=url + fake.prefix,
            worker_concurrency=2,
            retry_base_seconds=0.2,
            github_write_spacing=0.0,
            **credentials(fake, auth),
        )
        settings = dataclasses.replace(settings, **overrides)
        async with running(settings) as client:
            yield Stage(fake, client, settings)


def credentials(fake: FakeGitHub, auth: Literal["token", "app"]) -> dict[str, Any]:
    """Register credentials with the fake; return the settings that use them."""
    if auth == "app":
        fake.add_app(APP_ID)
        fake.add_installation(INSTALLATION)
        return {"github_app_id": APP_ID, "github_app_private_key": app_key_pair()[0]}
    return {"github_api_token": fake.add_token()}


def pull_request_event(
    number: int, head_sha: str, *, action: str = "synchronize", updated_at: str | None = None
) -> bytes:
    """GitHub's pull_request payload (a recorded one), edited to this PR, head and installation;
    ``updated_at`` is when GitHub says the pull request last changed (the push, for these)."""
    payload = json.loads(OPENED.read_bytes())
    payload["action"] = action
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head_sha
    if updated_at is not None:
        payload["pull_request"]["updated_at"] = updated_at
    payload["repository"]["full_name"] = REPO
    payload["installation"] = {"id": INSTALLATION}
    return json.dumps(payload).encode()


def diff_adding(files: dict[str, list[str]]) -> bytes:
    """A unified diff that adds each file with the given lines."""
    parts = []
    for path, lines in files.items():
        body = "".join(f"+{line}\n" for line in lines)
        parts.append(
            f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1111111\n"
            f"--- /dev/null\n+++ b/{path}\n@@ -0,0 +1,{len(lines)} @@\n{body}"
        )
    return "".join(parts).encode()


def sha(n: int) -> str:
    """A distinct 40-hex head SHA (distinct in its first 7 characters too)."""
    return hashlib.sha1(str(n).encode()).hexdigest()


CLEAN = diff_adding({"docs/readme.md": ["Nothing to see here."]})
WITH_KEY = diff_adding({"app/settings.py": ["import os", KEY_LINE, "DEBUG = False"]})
WITH_BOTH = diff_adding({"app/settings.py": [KEY_LINE], "app/run.py": ["x = 1", BREAK_LINE]})
