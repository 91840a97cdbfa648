"""Signing in with the API token: the session cookie, CSRF, and reads as the API allows them."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from grimoire.app import create_app
from grimoire.config import Settings
from tests.servers import serve
from tests.web.pages.conftest import Site, sign_in

pytestmark = pytest.mark.parametrize("template", ["sqlite"], indirect=True)


async def test_reading_a_protected_page_asks_to_sign_in_and_comes_back(page: Any) -> None:
    await page.goto("/spells?q=docker")
    assert page.url.endswith("/signin?next=%2Fspells%3Fq%3Ddocker")
    await page.get_by_label("API token").fill("not the token")
    await page.get_by_role("button", name="Sign in").click()
    assert await page.get_by_role("alert").inner_text() == "That is not the API token."
    assert await page.context.cookies() == [
        c for c in await page.context.cookies() if c["name"] != "grimoire_session"
    ]

    await page.get_by_label("API token").fill("test-api-token")
    await page.get_by_role("button", name="Sign in").click()
    assert page.url.endswith("/spells?q=docker")
    assert await page.get_by_label("Words").input_value() == "docker"
    session = next(c for c in await page.context.cookies() if c["name"] == "grimoire_session")
    assert session["httpOnly"] is True
    assert session["sameSite"] == "Lax"
    csrf = next(c for c in await page.context.cookies() if c["name"] == "grimoire_csrf")
    assert (csrf["httpOnly"], csrf["sameSite"]) == (True, "Strict")

    await page.get_by_role("button", name="Sign out").click()
    assert "grimoire_session" not in {c["name"] for c in await page.context.cookies()}
    await page.goto("/spells")
    assert "/signin" in page.url


async def test_a_form_without_the_csrf_token_is_refused(page: Any, site: Site) -> None:
    await sign_in(page)
    cookies = {c["name"]: c["value"] for c in await page.context.cookies()}
    async with httpx.AsyncClient(base_url=site.url, cookies=cookies) as http:
        forged = await http.post("/signin", data={"token": "test-api-token", "next": "/"})
        assert forged.status_code == 403
        assert "security token" in forged.text
        other_site = await http.post(
            "/signin",
            data={"token": "test-api-token", "csrf": cookies["grimoire_csrf"]},
            headers={"Origin": "https://evil.example"},
        )
        assert other_site.status_code == 403
        good = await http.post(
            "/signin",
            data={
                "token": "test-api-token",
                "csrf": cookies["grimoire_csrf"],
                "next": "//evil.example/x",
            },
        )
        assert (good.status_code, good.headers["location"]) == (303, "/")


async def test_a_forged_session_cookie_is_not_signed_in(page: Any, site: Site) -> None:
    await page.context.add_cookies(
        [{"name": "grimoire_session", "value": "9999999999.00", "url": site.url}]
    )
    await page.goto("/spells")
    assert "/signin" in page.url


@pytest.fixture
async def public_spells(site_settings: Settings) -> AsyncIterator[str]:
    settings = dataclasses.replace(site_settings, api_public_reads=frozenset({"spells"}))
    async with serve(create_app(settings)) as url:
        yield url


async def test_groups_open_to_public_reads_need_no_sign_in(
    browser: Any, public_spells: str
) -> None:
    context = await browser.new_context(base_url=public_spells)
    tab = await context.new_page()
    await tab.goto("/spells")
    assert await tab.title() == "Spellbook · Grimoire Engine"
    assert await tab.get_by_role("link", name="Sign in").count() == 1
    assert await tab.get_by_role("link", name="New spell").count() == 0
    await context.close()


async def test_without_an_api_token_there_is_nothing_to_sign_in_to(
    browser: Any, app_settings: Settings
) -> None:
    async with serve(create_app(app_settings)) as url:
        context = await browser.new_context(base_url=url)
        tab = await context.new_page()
        await tab.goto("/signin")
        assert "nothing to sign in to" in await tab.locator("main").inner_text()
        await tab.goto("/spells")
        assert await tab.get_by_role("link", name="New spell").count() == 1
        await context.close()
