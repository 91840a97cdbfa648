"""No acknowledged delivery is ever lost or processed into two analyses, even across a kill -9.

The real service runs as a subprocess (``python -m grimoire serve``) with two in-process workers,
on the test's database, against a fake GitHub served by this test. Signed pull_request
deliveries stream in concurrently; the server is SIGKILLed mid-stream and restarted; whatever
was not acknowledged is delivered again (as GitHub's "Redeliver" would). In the end every
acknowledged delivery is ``done`` with exactly one analysis.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from grimoire.core.webhook_signature import sign
from grimoire.storage.db import create_engine
from grimoire.storage.tables import Delivery
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub
from tests.fixtures import WEBHOOKS
from tests.servers import serve

pytestmark = pytest.mark.slow

FIXTURE = WEBHOOKS / "pull_request" / "opened.0.json"
REPOSITORY = "octo/lossless"
DELIVERIES = 60
KILL_AFTER = 20  # acknowledgements before the kill
PARALLEL = 8
TOKEN = "x"
DIFF = (
    b"diff --git a/app.py b/app.py\n"
    b"--- a/app.py\n"
    b"+++ b/app.py\n"
    b"@@ -1 +1,2 @@\n"
    b" import os\n"
    b"+x = int(os.environ['PORT'])\n"
)
START_TIMEOUT = 30.0
DRAIN_TIMEOUT = 60.0


def head_sha(n: int) -> str:
    return hashlib.sha1(f"head {n}".encode()).hexdigest()


def body_for(n: int) -> bytes:
    """The opened fixture, edited to PR ``n`` at its own head."""
    payload = json.loads(FIXTURE.read_bytes())
    payload["number"] = payload["pull_request"]["number"] = n
    payload["pull_request"]["head"]["sha"] = head_sha(n)
    payload["repository"]["full_name"] = REPOSITORY
    return json.dumps(payload).encode()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Service:
    """``grimoire serve`` as a subprocess that can be killed and started again on one port."""

    def __init__(
        self, env: dict[str, str], workdir: Path, *, args: tuple[str, ...] = ("--no-access-log",)
    ) -> None:
        self.env = env
        self.args = args
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / "server.log"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "grimoire",
                "serve",
                "--port",
                str(self.port),
                *self.args,
                env=self.env,
                cwd=self.workdir,  # no stray .env file
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        await self._ready()

    async def _ready(self) -> None:
        assert self.process is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + START_TIMEOUT
        async with httpx.AsyncClient(timeout=1.0) as http:
            while loop.time() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"the server exited at start:\n{self.logs()}")
                try:
                    if (await http.get(f"{self.url}/health/live")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"the server did not start in {START_TIMEOUT}s:\n{self.logs()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no drain, no flush."""
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def wait(self) -> int:
        assert self.process is not None
        return await self.process.wait()

    async def stop(self) -> int | None:
        """SIGTERM and wait (SIGKILL if it hangs); return the exit status."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        return self.process.returncode

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-20_000:]


@asynccontextmanager
async def fake_github() -> AsyncIterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()
    fake.add_token(TOKEN)
    for n in range(1, DELIVERIES + 1):
        fake.add_pull(REPOSITORY, n, diff=DIFF, head_sha=head_sha(n))
    # A little latency, so that jobs are in flight when the server is killed.
    fake.stall("GET", f"/repos/{REPOSITORY}/compare/*", seconds=0.03, times=None)
    async with serve(fake) as url:
        yield fake, url


def service_env(database_url: str, github_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GRIMOIRE"))}
    for name in ("DATABASE_URL", "API_TOKEN", "APP_ENV", "REPORT_MODE", "WORKER_CONCURRENCY"):
        env.pop(name, None)
    return env | {
        "DATABASE_URL": database_url,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "GITHUB_API_URL": github_url,
        "GITHUB_API_TOKEN": TOKEN,
        "WORKER_CONCURRENCY": "2",
        "LOG_LEVEL": "WARNING",
    }


async def deliver_all(
    url: str, numbers: list[int], acked: dict[int, str], on_ack: Callable[[], None]
) -> list[int]:
    """Deliver PRs concurrently; record acknowledgements; return those without an answer."""
    limit = asyncio.Semaphore(PARALLEL)
    unanswered: list[int] = []

    async def one(http: httpx.AsyncClient, n: int) -> None:
        body = body_for(n)
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": f"lossless-{n}",
            "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            "Content-Type": "application/json",
        }
        async with limit:
            try:
                response = await http.post(f"{url}/webhook", content=body, headers=headers)
            except httpx.TransportError:
                unanswered.append(n)  # the server died under us: no acknowledgement
                return
        answer = response.json()
        # 202 queued; or 200 duplicate when the first copy was committed but its answer was lost.
        assert (response.status_code, answer["status"]) in {(202, "queued"), (200, "duplicate")}, (
            response.text
        )
        acked[n] = answer["status"]
        on_ack()

    async with httpx.AsyncClient(timeout=10.0) as http:
        await asyncio.gather(*(one(http, n) for n in numbers))
    return sorted(unanswered)


async def expire_leases(database_url: str) -> int:
    """The killed process's leases: let them run out now instead of in JOB_LEASE_SECONDS."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            result = await connection.execute(
                update(Delivery)
                .where(Delivery.status == "processing")
                .values(lease_expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
            return int(result.rowcount)
    finally:
        await engine.dispose()


async def wait_until_drained(http: httpx.AsyncClient) -> None:
    """Poll until every delivery is done; fail at once on a failed one."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DRAIN_TIMEOUT
    while True:
        failed = await http.get("/api/deliveries", params={"status": "failed"})
        assert failed.json() == [], failed.json()
        done = await http.get("/api/deliveries", params={"status": "done", "limit": 1})
        if int(done.headers["x-total-count"]) == DELIVERIES:
            return
        assert loop.time() < deadline, f"not drained: {done.headers['x-total-count']} done"
        await asyncio.sleep(0.1)


async def test_no_acknowledged_delivery_is_lost_or_duplicated(
    database_url: str, tmp_path: Path
) -> None:
    async with fake_github() as (fake, github_url):
        service = Service(service_env(database_url, github_url), tmp_path)
        acked: dict[int, str] = {}
        try:
            await service.start()

            def kill_mid_stream() -> None:
                if len(acked) == KILL_AFTER:
                    service.kill()

            numbers = list(range(1, DELIVERIES + 1))
            unanswered = await deliver_all(service.url, numbers, acked, kill_mid_stream)
            assert await service.wait() == -signal.SIGKILL
            assert unanswered, "the kill came too late to interrupt the stream"
            acked_before_kill = dict(acked)
            interrupted = await expire_leases(database_url)

            await service.start()
            again = await deliver_all(service.url, unanswered, acked, lambda: None)
            assert again == []
            assert sorted(acked) == numbers

            async with httpx.AsyncClient(base_url=service.url, timeout=10.0) as http:
                await wait_until_drained(http)
                await check_outcome(http, acked_before_kill)
        except BaseException:
            print(service.logs())
            raise
        finally:
            status = await service.stop()
        # uvicorn shuts down gracefully on SIGTERM, then re-raises it (exit status -15).
        assert status in {0, -signal.SIGTERM}, service.logs()
        assert "Traceback" not in service.logs(), service.logs()
    # At least once: a job interrupted by the kill may have fetched its diff twice, never less.
    fetched = {r.path for r in fake.requests_to("GET", f"/repos/{REPOSITORY}/compare/*")}
    assert len(fetched) == DELIVERIES
    print(f"{len(acked_before_kill)} acknowledged before the kill, {interrupted} jobs interrupted")


async def check_outcome(http: httpx.AsyncClient, acked_before_kill: dict[int, str]) -> None:
    """Every delivery done, exactly one analysis per PR head, nothing extra."""
    deliveries = await http.get("/api/deliveries", params={"limit": 100})
    assert deliveries.headers["x-total-count"] == str(DELIVERIES)
    by_id = {item["id"]: item for item in deliveries.json()}
    for n in acked_before_kill:
        assert by_id[f"lossless-{n}"]["status"] == "done"
    analyses = await http.get("/api/analyses", params={"repository": REPOSITORY, "limit": 100})
    assert analyses.headers["x-total-count"] == str(DELIVERIES)
    for n in range(1, DELIVERIES + 1):
        response = await http.get("/api/analyses", params={"repository": REPOSITORY, "pr": n})
        found: list[dict[str, Any]] = response.json()
        assert len(found) == 1, (n, found)
        [analysis] = found
        assert (analysis["head_sha"], analysis["status"]) == (head_sha(n), "done"), analysis
        assert analysis["delivery_id"] == f"lossless-{n}"
        assert analysis["files_changed"] == 1
