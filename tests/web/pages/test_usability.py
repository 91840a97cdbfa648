"""Every page by keyboard and on a phone-sized screen, and readable with JavaScript off."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import API_TOKEN
from tests.web.pages.conftest import Site
from tests.web.pages.stored import analysis, delivery, finding, store

pytestmark = pytest.mark.parametrize("template", ["sqlite"], indirect=True)

SPELL = {
    "title": "Python package is not installed",
    "description": "The import names a package missing from the environment.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '(\w+)'",
    "solution_code": "pip install <package>",
    "tags": "python",
}

# Names the elements that stick out past the screen's right edge, for the failure message.
WIDE_ELEMENTS = """
[...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth)
  .map(e => e.tagName + "." + e.className).slice(0, 8).join(" ")
"""


async def stock(site: Site) -> list[str]:
    spell_id = (await site.api.post("/api/spells", json=SPELL)).json()["id"]
    [analysis_id, _] = await store(
        site.settings.database_url,
        analysis([finding(1, "No module named 'yaml'", spell_id=spell_id, spell_title="P")]),
        delivery("d-1", status="failed", last_error="x" * 300),
    )
    return [
        "/",
        "/spells",
        f"/spells/{spell_id}",
        f"/spells/{spell_id}/edit",
        "/spells/new",
        "/stats",
        "/analyses",
        f"/analyses/{analysis_id}",
        f"/analyses/{analysis_id}/findings/1/feedback",
        "/deliveries",
        "/signin",
    ]


async def test_search_by_keyboard_alone(curator: Any, site: Site) -> None:
    page = curator
    await stock(site)
    await page.goto("/spells")
    await page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert await skip.evaluate("element => element === document.activeElement")
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "main"
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")  # past "New spell", into the search box
    assert await page.evaluate("document.activeElement.id") == "q"
    await page.keyboard.type("package")
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/spells?q=package**")
    assert await page.locator("tbody tr").count() == 1


async def test_every_page_fits_a_phone_screen(browser: Any, site: Site) -> None:
    paths = await stock(site)
    context = await browser.new_context(
        base_url=site.url, viewport={"width": 375, "height": 740}, is_mobile=True
    )
    tab = await context.new_page()
    await tab.goto("/signin")
    await tab.get_by_label("API token").fill(API_TOKEN)
    await tab.get_by_role("button", name="Sign in").click()
    for path in paths:
        response = await tab.goto(path)
        assert response.status == 200, path
        overflow = await tab.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide = await tab.evaluate(WIDE_ELEMENTS)
            raise AssertionError(f"{path} is {overflow}px wider than the screen: {wide}")
        assert await tab.locator("h1").count() == 1, path
        assert await tab.locator("main").count() == 1, path
    await context.close()


async def test_every_page_reads_without_javascript(browser: Any, site: Site) -> None:
    paths = await stock(site)
    context = await browser.new_context(base_url=site.url, java_script_enabled=False)
    tab = await context.new_page()
    await tab.goto("/signin")
    await tab.get_by_label("API token").fill(API_TOKEN)
    await tab.get_by_role("button", name="Sign in").click()
    for path in paths:
        response = await tab.goto(path)
        assert response.status == 200, path
        assert await tab.locator("script").count() == 0, path
    await tab.goto(paths[2])
    await tab.get_by_label("A log or a snippet").fill("ModuleNotFoundError: No module named 'x'")
    await tab.get_by_role("button", name="Try it").click()
    assert await tab.locator("#matched-lines mark").all_inner_texts() == ["No module named 'x'"]
    await context.close()
