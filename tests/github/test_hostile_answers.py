"""GitHub answers that would hold a worker or its memory forever (issue 11), from a real server.

A hostile or broken GitHub (or a proxy in front of it) is played by a small Starlette app on
loopback: an answer trickling one byte at a time, a gzip bomb, a far-future ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from grimoire.errors import GitHubRateLimited, GitHubRejected, GitHubUnavailable
from grimoire.github import GitHubClient, RetryPolicy, TokenAuth, create_http_client
from grimoire.github.exchange import MAX_ANSWER_BYTES
from grimoire.github.responses import MAX_RATE_LIMIT_WAIT
from tests.servers import serve

REPO = "octo/widgets"
POLICY = RetryPolicy(
    attempts=1, timeout=1.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0, deadline=1.0
)


async def trickle(request: Request) -> Response:
    async def one_byte_at_a_time() -> AsyncIterator[bytes]:
        while True:
            yield b" "
            await asyncio.sleep(0.2)  # well under httpx's per-read timeout

    return StreamingResponse(one_byte_at_a_time(), media_type="application/json")


BOMB = gzip.compress(b" " * (MAX_ANSWER_BYTES + (1 << 20)), compresslevel=9)


async def bomb(request: Request) -> Response:
    return Response(BOMB, headers={"content-encoding": "gzip", "content-type": "application/json"})


RETRY_AFTER = {"value": "60"}


async def far_retry(request: Request) -> Response:
    return Response(b'{"message": "slow down"}', 429, {"retry-after": RETRY_AFTER["value"]})


HOSTILE = Starlette(
    routes=[
        Route("/repos/octo/widgets/issues/1/comments", trickle),
        Route("/repos/octo/widgets/issues/2/comments", bomb),
        Route("/repos/octo/widgets/issues/3/comments", far_retry),
    ]
)


@asynccontextmanager
async def client() -> AsyncIterator[GitHubClient]:
    async with (
        serve(HOSTILE, lifespan="off") as url,
        create_http_client(base_url=url, timeout=httpx.Timeout(2.0)) as http,
    ):
        yield GitHubClient(http, auth=TokenAuth("t"), retry=POLICY, write_spacing=0.0)


async def test_an_answer_trickling_forever_is_cut_at_the_deadline() -> None:
    async with client() as github:
        started = asyncio.get_running_loop().time()
        with pytest.raises(GitHubUnavailable, match="no complete answer within 1 s"):
            await github.find_comment(REPO, 1, marker="<!-- grimoire -->")
        assert asyncio.get_running_loop().time() - started < 5


async def test_a_gzip_bomb_is_refused_at_the_answer_cap() -> None:
    assert len(BOMB) < 100_000
    async with client() as github:
        with pytest.raises(GitHubRejected, match=f"more than {MAX_ANSWER_BYTES} bytes"):
            await github.find_comment(REPO, 2, marker="<!-- grimoire -->")


@pytest.mark.parametrize(
    "after",
    ["99999999999", "9" * 5000, "Fri, 31 Dec 5195 23:59:59 GMT"],
    ids=["big", "huge", "date"],
)
async def test_a_far_future_retry_after_is_capped(after: str) -> None:
    RETRY_AFTER["value"] = after
    async with client() as github:
        with pytest.raises(GitHubRateLimited) as caught:
            await github.find_comment(REPO, 3, marker="<!-- grimoire -->")
    assert caught.value.retry_at <= datetime.now(UTC) + MAX_RATE_LIMIT_WAIT + timedelta(seconds=5)
