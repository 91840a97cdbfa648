"""Two ``grimoire worker`` processes on one PostgreSQL database never work on one PR at once.

Many deliveries (several per pull request) are queued, then two worker processes claim from the
same table (``FOR UPDATE SKIP LOCKED`` behind an advisory lock). The fake GitHub they fetch diffs
from holds each diff request a little and records, per pull request, how many were in flight at
once: never more than one, every delivery processed exactly once, all done.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.storage.db import create_engine, create_sessions
from grimoire.storage.tables import Analysis, Delivery
from tests.deliveries import record_delivery
from tests.fakegithub import FakeGitHub
from tests.servers import serve

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

REPOSITORY = "octo/pair"
PULLS = 12
PER_PULL = 4
TOKENS = ("worker-a-token", "worker-b-token")
DIFF = b"diff --git a/a.txt b/a.txt\n--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-a\n+b\n"
# The delivery's own head is read through the compare API; head_sha() puts the PR in front.
DIFF_PATH = re.compile(
    r"/repos/(?P<repo>[^/]+/[^/]+)/compare/[0-9a-f]+\.\.\.(?P<number>\d{4})\d{4}0+"
)
HOLD_SECONDS = 0.05
TIMEOUT = 60.0


class InFlight:
    """ASGI middleware before the fake: holds each diff request, counts overlaps per PR.

    No diff is answered until both workers have asked for one, so that both certainly work
    side by side (a worker that started first cannot drain the queue alone).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.current: Counter[int] = Counter()
        self.peak: Counter[int] = Counter()
        self.total = 0
        self.peak_total = 0
        self.tokens: Counter[str] = Counter()
        self.both_started = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = DIFF_PATH.fullmatch(scope.get("path", ""))
        if scope["type"] != "http" or scope["method"] != "GET" or match is None:
            await self.app(scope, receive, send)
            return
        number = int(match["number"])
        token = dict(scope["headers"]).get(b"authorization", b"").decode().partition(" ")[2]
        self.tokens[token] += 1
        if len(self.tokens) >= len(TOKENS):
            self.both_started.set()
        self.current[number] += 1
        self.total += 1
        self.peak[number] = max(self.peak[number], self.current[number])
        self.peak_total = max(self.peak_total, self.total)
        try:
            # On a timeout, go on: the assertion on self.tokens says what went wrong.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.both_started.wait(), TIMEOUT / 2)
            await asyncio.sleep(HOLD_SECONDS)
            await self.app(scope, receive, send)
        finally:
            self.current[number] -= 1
            self.total -= 1


def head_sha(pr: int, n: int) -> str:
    return f"{pr:04d}{n:04d}".ljust(40, "0")


async def enqueue_all(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Queue PER_PULL deliveries for each of PULLS pull requests, all due.

    Each PR's deliveries are next to each other in claim order, so that only the per-PR rule
    keeps free job loops from taking a PR's second delivery while its first is in flight.
    """
    start = datetime.now(UTC) - timedelta(minutes=5)
    async with sessions.begin() as session:
        for pr in range(1, PULLS + 1):
            for n in range(PER_PULL):
                info = DeliveryInfo(
                    event="pull_request",
                    action="synchronize",
                    repository=REPOSITORY,
                    pr_number=pr,
                    head_sha=head_sha(pr, n),
                    base_sha="b" * 40,
                )
                # One moment per PR: a head received later would supersede the earlier ones
                # (skipped unrun), and this test wants every job of a PR to run, one at a time.
                at = start + timedelta(milliseconds=pr * PER_PULL)
                await record_delivery(
                    session, f"pair-{pr}-{n}", info, payload=b"{}", status="queued", now=at
                )


@asynccontextmanager
async def worker_process(
    database_url: str, github_url: str, token: str, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    env.pop("REPORT_MODE", None)
    env |= {
        "DATABASE_URL": database_url,
        "GITHUB_API_URL": github_url,
        "GITHUB_API_TOKEN": token,
        "LOG_LEVEL": "WARNING",
    }
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "grimoire",
            "worker",
            "--concurrency",
            "3",
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=asyncio.subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def counts(sessions: async_sessionmaker[AsyncSession]) -> Counter[str]:
    async with sessions.begin() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return Counter(dict(rows.all()))


async def test_two_workers_never_process_one_pull_request_at_once(
    database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite is one process's embedded database")
    fake = FakeGitHub()
    for token in TOKENS:
        fake.add_token(token)
    for pr in range(1, PULLS + 1):
        for n in range(PER_PULL):
            fake.add_pull(REPOSITORY, pr, diff=DIFF, head_sha=head_sha(pr, n))
    recorder = InFlight(fake)
    engine = create_engine(database_url)
    sessions = create_sessions(engine)
    logs = [tmp_path / f"worker-{n}.log" for n in range(len(TOKENS))]
    try:
        await enqueue_all(sessions)
        async with serve(recorder) as github_url, AsyncExitStack() as stack:
            workers = [
                await stack.enter_async_context(
                    worker_process(database_url, github_url, token, log)
                )
                for token, log in zip(TOKENS, logs, strict=True)
            ]
            await wait_until_done(sessions, workers, logs)
            for process in workers:
                process.send_signal(signal.SIGTERM)
            statuses = [await asyncio.wait_for(p.wait(), 30) for p in workers]
        async with sessions.begin() as session:
            analyses = (await session.execute(select(Analysis.pr_number, Analysis.head_sha))).all()
    finally:
        await engine.dispose()

    output = "\n".join(log.read_text(errors="replace") for log in logs)
    assert statuses == [0, 0], output
    assert "Traceback" not in output, output
    assert set(recorder.tokens) == set(TOKENS), recorder.tokens  # both workers did work
    assert recorder.peak_total > 1  # different pull requests ran side by side
    assert dict(recorder.peak) == dict.fromkeys(range(1, PULLS + 1), 1)  # one PR: one at a time
    # Each delivery processed exactly once: one diff fetch and one analysis per delivery.
    fetches = Counter(
        int(match["number"])
        for r in fake.requests_to("GET", f"/repos/{REPOSITORY}/compare/*")
        if (match := DIFF_PATH.fullmatch(r.path))
    )
    assert fetches == dict.fromkeys(range(1, PULLS + 1), PER_PULL)
    assert sorted(analyses) == sorted(
        (pr, head_sha(pr, n)) for pr in range(1, PULLS + 1) for n in range(PER_PULL)
    )


async def wait_until_done(
    sessions: async_sessionmaker[AsyncSession],
    workers: list[asyncio.subprocess.Process],
    logs: list[Path],
) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TIMEOUT
    while (now := await counts(sessions))["done"] < PULLS * PER_PULL:
        output = "\n".join(log.read_text(errors="replace") for log in logs)
        assert all(p.returncode is None for p in workers), output
        assert now["failed"] == 0, output
        assert loop.time() < deadline, (now, output)
        await asyncio.sleep(0.1)
