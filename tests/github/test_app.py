"""GitHub App authentication and write pacing, against the fake GitHub over real HTTP.

The App's JWT is minted with an injected clock shared with the fake, so token expiry is tested
without sleeping.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import jwt
import pytest

from grimoire.errors import ConfigError, GitHubRejected
from grimoire.github import AppAuth, GitHubClient, RetryPolicy, TokenAuth, build_auth
from grimoire.github.http import create_http_client
from tests.fakegithub import FakeClock, FakeGitHub, Recorded, app_key_pair
from tests.servers import AppSlot, serve

NO_WAIT = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.0, wait_max=0.0, wait_jitter=0.0)
REPO = "octo/widgets"
APP_ID = 4242
MINT = "/app/installations/*/access_tokens"
COMMENTS = f"/repos/{REPO}/issues/1/comments"


@pytest.fixture(scope="module")
async def slot() -> AsyncIterator[AppSlot]:
    """One server for the module; each test puts its fake in the slot."""
    slot = AppSlot()
    async with serve(slot, lifespan="off") as url:
        slot.url = url
        yield slot


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake(clock: FakeClock) -> FakeGitHub:
    fake = FakeGitHub(now=clock)
    fake.add_app(APP_ID)
    fake.add_installation(7)
    fake.add_installation(8)
    return fake


@asynccontextmanager
async def connect(
    slot: AppSlot,
    fake: FakeGitHub,
    clock: FakeClock,
    *,
    write_spacing: float = 0.0,
    installation_id: int | None = None,
) -> AsyncIterator[GitHubClient]:
    """Yield a client authenticated as the fake's App, on the shared clock."""
    slot.app = fake
    private_key, _ = app_key_pair()
    auth = AppAuth(
        app_id=APP_ID, private_key=private_key, installation_id=installation_id, now=clock
    )
    async with create_http_client(base_url=slot.url, timeout=httpx.Timeout(2.0)) as http:
        yield GitHubClient(http, auth=auth, retry=NO_WAIT, write_spacing=write_spacing, now=clock)


def mints(fake: FakeGitHub) -> list[Recorded]:
    return fake.requests_to("POST", MINT)


# -- JWT and installation tokens ---------------------------------------------------------------


async def test_app_jwt_is_traded_for_an_installation_token(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        assert await github.find_comment(REPO, 1, marker="x", installation_id=7) is None
    mint, listing = fake.requests
    assert (mint.method, mint.path, mint.status) == (
        "POST",
        "/app/installations/7/access_tokens",
        201,
    )
    assert mint.headers["accept"] == "application/vnd.github+json"
    assert mint.headers["x-github-api-version"] == "2022-11-28"
    assert mint.token is not None
    assert jwt.get_unverified_header(mint.token)["alg"] == "RS256"
    claims = jwt.decode(mint.token, options={"verify_signature": False})
    now = int(clock.value.timestamp())
    assert claims == {"iss": str(APP_ID), "iat": now - 60, "exp": now + 540}
    [issued] = fake.issued(7)
    assert listing.token == issued.token
    assert listing.status == 200


async def test_installation_token_is_cached(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        for _ in range(3):
            await github.find_comment(REPO, 1, marker="x", installation_id=7)
        clock.advance(minutes=54)  # the token lives 60 minutes; refreshed 5 before
        await github.find_comment(REPO, 1, marker="x", installation_id=7)
    assert len(mints(fake)) == 1
    assert len({r.token for r in fake.requests_to("GET", COMMENTS)}) == 1


async def test_installation_token_is_refreshed_before_it_expires(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        await github.find_comment(REPO, 1, marker="x", installation_id=7)
        clock.advance(minutes=55, seconds=1)
        await github.find_comment(REPO, 1, marker="x", installation_id=7)
    first, second = fake.issued(7)
    assert first.expires_at is not None
    assert second.expires_at == first.expires_at + timedelta(minutes=55, seconds=1)
    assert [r.token for r in fake.requests_to("GET", COMMENTS)] == [first.token, second.token]
    assert [r.status for r in fake.requests] == [201, 200, 201, 304]  # unchanged since: 304


async def test_each_installation_has_its_own_token(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        await github.find_comment(REPO, 1, marker="x", installation_id=7)
        await github.find_comment(REPO, 1, marker="x", installation_id=8)
    [seven], [eight] = fake.issued(7), fake.issued(8)
    assert [r.token for r in fake.requests_to("GET", COMMENTS)] == [seven.token, eight.token]


async def test_concurrent_requests_mint_once(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    fake.stall("POST", MINT, seconds=0.1)
    async with connect(slot, fake, clock) as github:
        await asyncio.gather(
            *(github.find_comment(REPO, 1, marker="x", installation_id=7) for _ in range(5))
        )
    assert len(mints(fake)) == 1


async def test_a_401_mints_a_fresh_token_and_retries_once(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        await github.find_comment(REPO, 1, marker="x", installation_id=7)
        [revoked] = fake.issued(7)
        fake.revoke(revoked.token)
        comment_id = await github.create_comment(REPO, 1, "hello", installation_id=7)
    _, fresh = fake.issued(7)
    posts = fake.requests_to("POST", COMMENTS)
    assert [(r.token, r.status) for r in posts] == [(revoked.token, 401), (fresh.token, 201)]
    assert [c.id for c in fake.comments_on(REPO, 1)] == [comment_id]


async def test_a_second_401_is_a_rejection(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    fake.fail("GET", COMMENTS, status=401, times=2)
    async with connect(slot, fake, clock) as github:
        with pytest.raises(GitHubRejected, match="Bad credentials") as caught:
            await github.find_comment(REPO, 1, marker="x", installation_id=7)
    assert caught.value.status == 401
    assert [r.path for r in fake.requests] == [
        "/app/installations/7/access_tokens",
        COMMENTS,
        "/app/installations/7/access_tokens",
        COMMENTS,
    ]
    assert all(t.token not in caught.value.detail for t in fake.issued(7))


async def test_unknown_installation_is_rejected(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        with pytest.raises(GitHubRejected, match="/app/installations/99/access_tokens") as caught:
            await github.pull_diff(REPO, 1, installation_id=99)
    assert caught.value.status == 404


async def test_a_wrong_app_key_is_rejected(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    fake.apps.clear()
    fake.add_app(APP_ID, public_key_pem=_other_public_key())
    async with connect(slot, fake, clock) as github:
        with pytest.raises(GitHubRejected, match="JSON web token") as caught:
            await github.pull_diff(REPO, 1, installation_id=7)
    assert caught.value.status == 401


async def test_default_installation(slot: AppSlot, fake: FakeGitHub, clock: FakeClock) -> None:
    async with connect(slot, fake, clock, installation_id=8) as github:
        await github.find_comment(REPO, 1, marker="x")
    assert [r.path for r in mints(fake)] == ["/app/installations/8/access_tokens"]


async def test_an_app_needs_an_installation(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        with pytest.raises(GitHubRejected, match="needs an installation id") as caught:
            await github.pull_diff(REPO, 1)
    assert caught.value.status == 401
    assert fake.requests == []


async def test_health_check_does_not_send_the_app_jwt(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    async with connect(slot, fake, clock) as github:
        assert (await github.check_reachable()).reachable
    [request] = fake.requests
    assert "authorization" not in request.headers


# -- write pacing ------------------------------------------------------------------------------


async def test_writes_to_one_installation_go_one_at_a_time(
    slot: AppSlot, fake: FakeGitHub, clock: FakeClock
) -> None:
    spacing = 0.1
    fake.stall("POST", COMMENTS, seconds=0.05, times=None)  # slow writes would overlap if sent
    async with connect(slot, fake, clock, write_spacing=spacing) as github:
        await asyncio.gather(
            *(
                github.create_comment(REPO, 1, f"{i}", installation_id=installation)
                for installation in (7, 8)
                for i in range(3)
            )
        )
    by_installation = {
        installation: [r for r in fake.requests_to("POST", COMMENTS) if r.token == issued.token]
        for installation in (7, 8)
        for issued in fake.issued(installation)
    }
    for writes in by_installation.values():
        assert len(writes) == 3
        for before, after in itertools.pairwise(sorted(writes, key=lambda r: r.started)):
            # One at a time, and at least `spacing` after the previous write finished.
            assert after.started - before.finished >= spacing * 0.9
    # Different installations are not held up by each other.
    first_7, first_8 = (min(w, key=lambda r: r.started) for w in by_installation.values())
    assert abs(first_7.started - first_8.started) < 0.05


async def test_reads_are_not_paced(slot: AppSlot, fake: FakeGitHub, clock: FakeClock) -> None:
    fake.stall("GET", COMMENTS, seconds=0.1, times=None)
    async with connect(slot, fake, clock, write_spacing=5.0) as github:
        await github.find_comment(REPO, 1, marker="x", installation_id=7)  # mint first
        loop = asyncio.get_running_loop()
        started = loop.time()
        await asyncio.gather(
            *(github.find_comment(REPO, 1, marker="x", installation_id=7) for _ in range(4))
        )
        assert loop.time() - started < 0.3


# -- building the auth from settings -----------------------------------------------------------


def test_build_auth_from_settings() -> None:
    private_key, _ = app_key_pair()
    assert build_auth() is None
    assert isinstance(build_auth(token="ghp_x"), TokenAuth)
    app = build_auth(app_id="42", private_key=private_key, installation_id=3)
    assert isinstance(app, AppAuth)
    assert app.default_installation_id == 3
    one_line = private_key.strip().replace("\n", "\\n")  # as pasted into an env variable
    assert isinstance(build_auth(app_id=42, private_key=one_line), AppAuth)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"app_id": "42"}, "both its id and its private key"),
        ({"private_key": "x"}, "both its id and its private key"),
        ({"app_id": "42", "private_key": "not a key"}, "not a readable PEM"),
        ({"token": "two words"}, "single non-empty token"),
    ],
)
def test_build_auth_refuses_bad_settings(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        build_auth(**kwargs)  # type: ignore[arg-type]
    assert "not a key" not in str(caught.value)


def test_build_auth_prefers_the_app_to_a_token(caplog: pytest.LogCaptureFixture) -> None:
    private_key, _ = app_key_pair()
    assert isinstance(build_auth(token="ghp_x", app_id=1, private_key=private_key), AppAuth)
    assert "using the App" in caplog.text
    assert "ghp_x" not in caplog.text


def test_app_auth_repr_hides_the_key() -> None:
    private_key, _ = app_key_pair()
    text = repr(AppAuth(app_id=1, private_key=private_key))
    assert "PRIVATE" not in text


def _other_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
