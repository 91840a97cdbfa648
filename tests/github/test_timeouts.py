"""GITHUB_CONNECT_TIMEOUT_SECONDS and GITHUB_READ_TIMEOUT_SECONDS reach the GitHub HTTP client."""

from __future__ import annotations

import httpx
import pytest

from grimoire.config import Settings
from grimoire.github.http import create_http_client
from grimoire.resources import github_timeout
from tests.fakegithub import FakeGitHub
from tests.servers import serve


def test_timeouts_are_read_from_the_environment() -> None:
    settings = Settings.from_environ(
        {"GITHUB_CONNECT_TIMEOUT_SECONDS": "2", "GITHUB_READ_TIMEOUT_SECONDS": "90"},
        env_file=None,
    )
    timeout = github_timeout(settings)
    assert (timeout.connect, timeout.read, timeout.pool) == (2.0, 90.0, 4.0)
    assert github_timeout(Settings()).read == 30.0


async def test_a_read_slower_than_the_timeout_fails() -> None:
    fake = FakeGitHub()
    fake.stall("GET", "/meta", seconds=2.0)
    settings = Settings(github_read_timeout=1)
    async with serve(fake) as url:
        http = create_http_client(base_url=url, timeout=github_timeout(settings))
        async with http:
            with pytest.raises(httpx.ReadTimeout):
                await http.get("meta")
            assert (await http.get("meta")).status_code == 200  # the stall was once
