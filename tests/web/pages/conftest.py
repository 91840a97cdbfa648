"""Browser tests: the app served over real HTTP on loopback, driven by Debian's headless Chromium.

Chromium is the system package (``apt-get install chromium``), driven by Playwright's Python
package pointed at it; Playwright never downloads a browser of its own. Without the browser the
tests are skipped locally, and fail under CI=true (``.ci/run`` installs it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from grimoire.app import create_app
from grimoire.config import Settings
from tests.conftest import API_TOKEN
from tests.databases import IN_CI
from tests.servers import serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    """One headless Chromium for the whole run."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is missing: apt-get install chromium")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _missing("the playwright package is missing: pip install -e '.[test]'")
    async with async_playwright() as driver:
        chromium = await driver.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        await chromium.close()


@dataclasses.dataclass
class Site:
    """A running app: its base URL and an API client that carries the token."""

    url: str
    api: httpx.AsyncClient
    settings: Settings


@pytest.fixture
def site_settings(app_settings: Settings) -> Settings:
    """The app's settings: writes need the API token."""
    return dataclasses.replace(app_settings, api_token=API_TOKEN)


@pytest.fixture
async def site(site_settings: Settings) -> AsyncIterator[Site]:
    """The app over real HTTP on loopback."""
    async with (
        serve(create_app(site_settings)) as url,
        httpx.AsyncClient(base_url=url, headers=AUTH) as api,
    ):
        yield Site(url, api, site_settings)


@pytest.fixture
async def page(browser: Any, site: Site) -> AsyncIterator[Any]:
    """A fresh browser tab (its own cookies) on the site."""
    context = await browser.new_context(base_url=site.url)
    tab = await context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    await context.close()


async def sign_in(tab: Any, *, token: str = API_TOKEN, then: str = "/") -> None:
    """Sign in through the form, as a person would."""
    await tab.goto("/signin?next=" + then)
    await tab.get_by_label("API token").fill(token)
    await tab.get_by_role("button", name="Sign in").click()
    await tab.wait_for_load_state()


@pytest.fixture
async def curator(page: Any) -> Any:
    """A browser tab signed in with the API token."""
    await sign_in(page)
    return page
