"""The test doubles themselves: serve() starts and stops cleanly; the fake refuses like GitHub."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.fakegithub import FakeGitHub
from tests.servers import serve

HEADERS = {"User-Agent": "tests", "Authorization": "Bearer ghp_known"}


async def test_serve_runs_the_lifespan_and_stops() -> None:
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/", hello)], lifespan=lifespan)
    async with serve(app) as url:
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            assert (await client.get(url)).text == "hello"
    assert events == ["startup", "shutdown"]
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(url)


async def test_serve_raises_when_the_app_cannot_start() -> None:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise RuntimeError("no database")
        yield

    with pytest.raises(RuntimeError, match="could not start the app"):
        async with serve(Starlette(lifespan=lifespan)):
            pass


@pytest.fixture
async def fake_url() -> AsyncIterator[tuple[FakeGitHub, str]]:
    fake = FakeGitHub()
    fake.add_token("ghp_known")
    fake.add_pull("o/r", 1, diff=b"diff")
    async with serve(fake) as url:
        yield fake, url


async def test_fake_refuses_like_github(fake_url: tuple[FakeGitHub, str]) -> None:
    fake, url = fake_url
    async with httpx.AsyncClient(base_url=url) as client:
        anonymous = await client.get("/repos/o/r/pulls/1", headers={"User-Agent": "tests"})
        no_agent = await client.get("/repos/o/r/pulls/1", headers={"User-Agent": ""})
        bad_version = await client.get(
            "/repos/o/r/pulls/1", headers={**HEADERS, "X-GitHub-Api-Version": "1999-01-01"}
        )
        unknown = await client.get("/repos/o/r/nothing-here", headers=HEADERS)
        bad_json = await client.post("/repos/o/r/issues/1/comments", content=b"{", headers=HEADERS)
    assert (anonymous.status_code, anonymous.json()["message"]) == (401, "Requires authentication")
    assert no_agent.status_code == 403
    assert bad_version.status_code == 400
    assert (unknown.status_code, unknown.json()["message"]) == (404, "Not Found")
    assert (bad_json.status_code, bad_json.json()["message"]) == (400, "Problems parsing JSON")
    assert [r.status for r in fake.requests] == [401, 403, 400, 404, 400]


async def test_fake_checks_run_validation(fake_url: tuple[FakeGitHub, str]) -> None:
    fake, url = fake_url
    token = fake.add_token(installation_id=1)
    headers = {**HEADERS, "Authorization": f"Bearer {token}"}
    annotation = {
        "path": "a",
        "start_line": 1,
        "end_line": 1,
        "annotation_level": "notice",
        "message": "m",
    }
    output = {"title": "t", "summary": "s", "annotations": [annotation] * 51}
    async with httpx.AsyncClient(base_url=url, headers=headers) as client:
        too_many = await client.post(
            "/repos/o/r/check-runs", json={"name": "n", "head_sha": "a", "output": output}
        )
        no_summary = await client.post(
            "/repos/o/r/check-runs",
            json={"name": "n", "head_sha": "a", "output": {"title": "t"}},
        )
        no_conclusion = await client.post(
            "/repos/o/r/check-runs", json={"name": "n", "head_sha": "a", "status": "completed"}
        )
    assert [r.status_code for r in (too_many, no_summary, no_conclusion)] == [422, 422, 422]
    assert fake.check_runs == {}
