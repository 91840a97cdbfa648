"""``grimoire reconcile``: the App's failed webhooks Grimoire never stored are redelivered, once.

GitHub is the fake, over real HTTP, checking the App's JWT on both endpoints; the database is
the test's own. The command runs as a subprocess, the schedule inside ``run_workers``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from grimoire.config import Settings
from grimoire.core.events import Delivery as DeliveryInfo
from grimoire.core.reconcile import MAX_REDELIVERIES, HookDelivery, to_redeliver
from grimoire.errors import ConfigError
from grimoire.github import AppAuth, GitHubClient
from grimoire.github.http import create_http_client
from grimoire.reconcile import reconcile
from grimoire.resources import open_resources
from grimoire.storage.db import create_engine, create_sessions
from grimoire.storage.deliveries import Job
from grimoire.worker import run_workers
from tests.deliveries import record_delivery
from tests.fakegithub import FakeGitHub, app_key_pair
from tests.servers import serve

APP_ID = 4242
LIST = "/app/hook/deliveries"


@pytest.fixture
async def github() -> AsyncIterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()
    fake.add_app(APP_ID)
    async with serve(fake, lifespan="off") as url:
        yield fake, url


async def store(database_url: str, *guids: str) -> None:
    """Store deliveries with these ids, as intake would have."""
    engine = create_engine(database_url)
    try:
        async with create_sessions(engine).begin() as session:
            for guid in guids:
                info = DeliveryInfo(event="pull_request", action="opened")
                await record_delivery(
                    session, guid, info, payload=b"{}", status="ignored", now=datetime.now(UTC)
                )
    finally:
        await engine.dispose()


async def grimoire(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "grimoire", *args,
        env={"LOG_LEVEL": "WARNING", "PATH": "/usr/bin:/bin", **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return subprocess.CompletedProcess(args, process.returncode or 0, out.decode(), err.decode())


def app_env(database_url: str, url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "GITHUB_API_URL": url,
        "GITHUB_APP_ID": str(APP_ID),
        "GITHUB_APP_PRIVATE_KEY": app_key_pair()[0],
    }


def redelivered(fake: FakeGitHub) -> list[str]:
    return [a.guid for a in fake.redeliveries()]


async def test_only_failed_unstored_deliveries_within_the_window_are_redelivered(
    github: tuple[FakeGitHub, str], database_url: str
) -> None:
    fake, url = github
    now = datetime.now(UTC)
    fake.add_hook_attempt("lost", status_code=502, delivered_at=now - timedelta(hours=2))
    fake.add_hook_attempt("never-answered", status_code=0, delivered_at=now - timedelta(hours=1))
    fake.add_hook_attempt("stored", status_code=500, delivered_at=now - timedelta(hours=2))
    fake.add_hook_attempt("fine", status_code=202, delivered_at=now - timedelta(hours=2))
    fake.add_hook_attempt("healed", status_code=503, delivered_at=now - timedelta(hours=3))
    fake.add_hook_attempt(
        "healed", status_code=202, delivered_at=now - timedelta(hours=2), redelivery=True
    )
    fake.add_hook_attempt("too-old", status_code=500, delivered_at=now - timedelta(days=4))
    await store(database_url, "stored")

    first = await grimoire("reconcile", "--since", "3d", env=app_env(database_url, url))

    assert first.returncode == 0, first.stderr
    assert redelivered(fake) == ["lost", "never-answered"]
    assert "redelivered lost (pull_request, failed with 502)" in first.stdout
    assert "6 delivery attempts checked, 2 redelivered" in first.stdout
    # Both endpoints were called as the App: its JWT, signed with its key, GitHub-checked.
    calls = [r for r in fake.requests if r.path.startswith("/app/hook/")]
    assert {r.status for r in calls} == {200, 202}
    assert all(jwt.decode(r.token or "", options={"verify_signature": False})["iss"] == str(APP_ID)
               for r in calls)  # fmt: skip

    # The redeliveries succeeded (GitHub lists them with the same guids): nothing to ask again.
    again = await grimoire("reconcile", env=app_env(database_url, url))
    assert again.returncode == 0, again.stderr
    assert redelivered(fake) == ["lost", "never-answered"]
    assert "0 redelivered" in again.stdout


async def test_a_redelivery_that_failed_again_is_asked_for_again(
    github: tuple[FakeGitHub, str], database_url: str
) -> None:
    fake, url = github
    fake.add_hook_attempt("flaky", status_code=500)
    fake.redelivery_status = 503
    await grimoire("reconcile", env=app_env(database_url, url))
    second = await grimoire("reconcile", env=app_env(database_url, url))
    assert second.returncode == 0, second.stderr
    assert redelivered(fake) == ["flaky", "flaky"]
    # The newest failed attempt is the one redelivered.
    assert fake.requests[-1].path == f"/app/hook/deliveries/{fake.hook_attempts[1].id}/attempts"


async def test_the_since_window_bounds_what_is_redelivered(
    github: tuple[FakeGitHub, str], database_url: str
) -> None:
    fake, url = github
    fake.add_hook_attempt(
        "two-days", status_code=500, delivered_at=datetime.now(UTC) - timedelta(days=2)
    )
    narrow = await grimoire("reconcile", "--since", "1d", env=app_env(database_url, url))
    assert narrow.returncode == 0, narrow.stderr
    assert redelivered(fake) == []
    assert "0 delivery attempts checked" in narrow.stdout
    wide = await grimoire("reconcile", "--since", "72h", env=app_env(database_url, url))
    assert wide.returncode == 0, wide.stderr
    assert redelivered(fake) == ["two-days"]


async def test_pages_are_followed_by_cursor_and_stop_past_the_window(
    github: tuple[FakeGitHub, str], database_url: str
) -> None:
    fake, url = github
    now = datetime.now(UTC)
    # Newest first: 230 successes, then the one failure, then 300 attempts older than the window.
    fake.add_hook_attempt(
        "oldest-in-window", status_code=500, delivered_at=now - timedelta(hours=30)
    )
    for n in range(230):
        fake.add_hook_attempt(f"ok-{n}", status_code=202, delivered_at=now - timedelta(minutes=n))
    for n in range(300):
        fake.add_hook_attempt(
            f"old-{n}", status_code=500, delivered_at=now - timedelta(days=5, minutes=n)
        )
    private_key, _ = app_key_pair()
    auth = AppAuth(app_id=APP_ID, private_key=private_key)
    engine = create_engine(database_url)
    async with create_http_client(base_url=url, timeout=httpx.Timeout(5.0)) as http:
        try:
            result = await reconcile(
                GitHubClient(http, auth=auth),
                create_sessions(engine),
                now=now,
                since=timedelta(days=3),
            )
        finally:
            await engine.dispose()
    assert [a.guid for a in result.redelivered] == ["oldest-in-window"]
    assert result.listed == 231
    pages = [r for r in fake.requests if r.path == LIST]
    # Pages of 100: the third reaches past the window, so the fourth and later are never read.
    assert len(pages) == 3
    assert [r.query.get("cursor") is None for r in pages] == [True, False, False]
    assert all(r.query["per_page"] == "100" for r in pages)


async def test_without_app_credentials_it_says_so_and_exits_2(database_url: str) -> None:
    result = await grimoire(
        "reconcile", env={"DATABASE_URL": database_url, "GITHUB_API_TOKEN": "ghp_x"}
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "GITHUB_APP_ID" in result.stderr


async def test_the_worker_reconciles_on_its_schedule(
    github: tuple[FakeGitHub, str], app_settings: Settings
) -> None:
    fake, url = github
    fake.add_hook_attempt("missed", status_code=502)
    settings = dataclasses.replace(
        app_settings,
        github_api_url=url,
        github_app_id=APP_ID,
        github_app_private_key=app_key_pair()[0],
        reconcile_every=timedelta(hours=1),
    )

    async def nothing(res: object, job: Job) -> None:
        raise AssertionError("no job is queued")

    stop = asyncio.Event()
    async with open_resources(settings) as res:
        runner = asyncio.create_task(run_workers(res, stop=stop, pipeline=nothing, concurrency=1))
        try:
            async with asyncio.timeout(10):
                while not fake.redeliveries():  # noqa: ASYNC110 (the fake has no event to await)
                    await asyncio.sleep(0.05)
        finally:
            stop.set()
            await asyncio.wait_for(runner, 15)
    assert redelivered(fake) == ["missed"]
    # Once per period: the first run at start, the next an hour later.
    assert len([r for r in fake.requests if r.path == LIST]) == 1


def test_reconcile_every_is_read_from_the_environment() -> None:
    assert Settings.from_environ({}, env_file=None).reconcile_every is None
    assert Settings.from_environ({"RECONCILE_EVERY": "off"}, env_file=None).reconcile_every is None
    every = Settings.from_environ({"RECONCILE_EVERY": "1h"}, env_file=None).reconcile_every
    assert every == timedelta(hours=1)
    for bad in ("soon", "10s", "1 hour"):
        with pytest.raises(ConfigError, match="RECONCILE_EVERY"):
            Settings.from_environ({"RECONCILE_EVERY": bad}, env_file=None)


def attempt(
    n: int, guid: str, status: int, *, hours_ago: float, redelivery: bool = False
) -> HookDelivery:
    at = datetime(2026, 1, 2, tzinfo=UTC) - timedelta(hours=hours_ago)
    return HookDelivery(id=n, guid=guid, delivered_at=at, status_code=status, redelivery=redelivery)


def test_to_redeliver_picks_the_newest_failure_per_guid() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    attempts = [
        attempt(1, "a", 500, hours_ago=5),
        attempt(2, "a", 502, hours_ago=3, redelivery=True),
        attempt(3, "b", 500, hours_ago=4),
        attempt(4, "b", 200, hours_ago=2, redelivery=True),
        attempt(5, "c", 404, hours_ago=1),
        attempt(6, "d", 500, hours_ago=30),
    ]
    chosen = to_redeliver(attempts, stored={"c"}, since=since)
    assert [(a.id, a.guid) for a in chosen] == [(2, "a")]


def test_to_redeliver_gives_up_on_a_delivery_refused_every_time() -> None:
    since = datetime(2026, 1, 1, tzinfo=UTC)
    tries = [attempt(1, "bad", 401, hours_ago=9)]
    tries += [
        attempt(n, "bad", 401, hours_ago=9 - n, redelivery=True)
        for n in range(2, 2 + MAX_REDELIVERIES)
    ]
    assert to_redeliver(tries[:-1], stored=set(), since=since) == [tries[-2]]
    assert to_redeliver(tries, stored=set(), since=since) == []
