"""Crash test: 400 deliveries, three ``kill -9`` of the service, default lease settings.

``grimoire serve`` (two in-process job loops, SQLite, JOB_LEASE_SECONDS at its default) runs as a
subprocess against the fake GitHub of the tests (diff reads stalled 30 ms so that jobs are in
flight). Signed pull_request deliveries stream in, 8 at a time; after 100, 200 and 300
acknowledgements the service is SIGKILLed and started again, and what was not acknowledged is
delivered again (GitHub's "Redeliver"). Nothing touches the database by hand: the killed
processes' jobs come back only because their leases run out. Reported: how long after the last
restart every delivery is ``done``, and the jobs that were orphaned. REPORT_MODE=none: the
comment writes (one per second per installation) would measure GitHub's pacing, not recovery.

Run from the repository root: ``python bench/crash_recovery.py`` (about two minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grimoire.core.webhook_signature import sign  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fixtures import WEBHOOKS  # noqa: E402
from tests.servers import serve  # noqa: E402
from tests.test_lossless import Service  # noqa: E402

DELIVERIES = 400
KILLS_AT = (100, 200, 300)
PARALLEL = 8
SECRET = "crash-test-secret"
TOKEN = "crash-test-token"
REPOSITORY = "octo/crash"
DIFF = b"diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x\n+y = 1\n"
SETTLE_LIMIT = 300.0
RESULTS = Path(__file__).with_name("results") / "crash_recovery.md"


def head_sha(n: int) -> str:
    return hashlib.sha1(f"crash {n}".encode()).hexdigest()


def body_for(n: int) -> bytes:
    payload = json.loads((WEBHOOKS / "pull_request" / "opened.0.json").read_bytes())
    payload["number"] = payload["pull_request"]["number"] = n
    payload["pull_request"]["head"]["sha"] = head_sha(n)
    payload["repository"]["full_name"] = REPOSITORY
    return json.dumps(payload).encode()


async def deliver(
    url: str, numbers: list[int], acked: set[int], kill_at: int | None, service: Service
) -> list[int]:
    """Deliver ``numbers``, kill the service once ``kill_at`` are acknowledged and some job is
    running (a kill before the worker has claimed anything orphans nothing); return the lost."""
    limit = asyncio.Semaphore(PARALLEL)
    unanswered: list[int] = []
    running = asyncio.Event()

    async def watch(http: httpx.AsyncClient) -> None:
        while not running.is_set():
            with contextlib.suppress(httpx.TransportError, KeyError):
                if await count(http, "processing", url) > 0:
                    running.set()
            await asyncio.sleep(0.05)

    async def one(http: httpx.AsyncClient, n: int) -> None:
        body = body_for(n)
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": f"crash-{n}",
            "X-Hub-Signature-256": sign(SECRET, body),
            "Content-Type": "application/json",
        }
        async with limit:
            try:
                response = await http.post(f"{url}/webhook", content=body, headers=headers)
            except httpx.TransportError:
                unanswered.append(n)
                return
        if response.status_code in (200, 202):
            acked.add(n)
            if kill_at is not None and len(acked) >= kill_at and running.is_set():
                service.kill()
        else:
            unanswered.append(n)

    async with httpx.AsyncClient(timeout=10.0) as http:
        watcher = asyncio.create_task(watch(http)) if kill_at is not None else None
        await asyncio.gather(*(one(http, n) for n in numbers))
        if watcher is not None:
            # Everything was acknowledged before a job ran: kill once one does.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(running.wait(), 30)
            watcher.cancel()
            service.kill()
    return sorted(unanswered)


async def count(http: httpx.AsyncClient, status: str, url: str = "") -> int:
    response = await http.get(f"{url}/api/deliveries", params={"status": status, "limit": 1})
    return int(response.headers["x-total-count"])


async def main() -> None:
    fake = FakeGitHub()
    fake.add_token(TOKEN)
    for n in range(1, DELIVERIES + 1):
        fake.add_pull(REPOSITORY, n, diff=DIFF, head_sha=head_sha(n))
    fake.stall("GET", f"/repos/{REPOSITORY}/compare/*", seconds=0.03, times=None)
    workdir = Path(tempfile.mkdtemp(prefix="grimoire-crash-"))
    async with serve(fake) as github_url:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "JOB_"))}
        env |= {
            "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/crash.db",
            "GITHUB_WEBHOOK_SECRET": SECRET,
            "GITHUB_API_URL": github_url,
            "GITHUB_API_TOKEN": TOKEN,
            "REPORT_MODE": "none",
            "LOG_LEVEL": "WARNING",
        }
        service = Service(env, workdir)
        await service.start()
        acked: set[int] = set()
        pending = list(range(1, DELIVERIES + 1))
        orphaned = []
        for kill_at in KILLS_AT:
            pending = await deliver(service.url, pending, acked, kill_at, service)
            await service.wait()
            await service.start()
            async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
                orphaned.append(await count(http, "processing"))
        restarted = time.perf_counter()
        pending = await deliver(service.url, pending, acked, None, service)
        assert not pending, pending
        assert len(acked) == DELIVERIES, len(acked)
        async with httpx.AsyncClient(base_url=service.url, timeout=10) as http:
            while (done := await count(http, "done")) < DELIVERIES:
                assert await count(http, "failed") == 0
                if time.perf_counter() - restarted > SETTLE_LIMIT:
                    break
                await asyncio.sleep(0.5)
        settled = time.perf_counter() - restarted
        await service.stop()
    lease = "30 (default)"
    line = (
        f"| {time.strftime('%Y-%m-%d %H:%M')} | {DELIVERIES} | {len(KILLS_AT)} | {lease} | "
        f"{', '.join(map(str, orphaned))} | {done} | {settled:.1f} s |"
    )
    print(line)
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Crash recovery (bench/crash_recovery.py)\n\n"
            "| when | deliveries | kill -9 | lease s | processing right after each restart "
            "| done | all done after the last restart |\n|---|---|---|---|---|---|---|\n"
        )
    with RESULTS.open("a") as out:
        out.write(line + "\n")


if __name__ == "__main__":
    asyncio.run(main())
