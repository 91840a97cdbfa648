"""Take the README's screenshots of the pages: ``python -m tests.web.pages.screenshots DIR``.

Serves the app on loopback with the starter spellbook and a few made-up analyses, deliveries and
votes in a throw-away SQLite database, signs in through the form, and saves small PNGs to DIR.
Needs Debian's ``chromium`` (as the browser tests do).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Page, async_playwright

from grimoire import migrations
from grimoire.app import create_app
from grimoire.config import Settings
from grimoire.spellbook import load_starter_spellbook
from grimoire.spellbook.sync import import_drafts
from grimoire.storage.db import create_engine, create_sessions
from grimoire.storage.feedback import get_finding, record_vote
from grimoire.storage.spells import ids_by_title
from tests.servers import serve
from tests.web.pages.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.web.pages.stored import NOW, analysis, delivery, finding, store

TOKEN = "screenshot-token"
TRACEBACK = """\
Traceback (most recent call last):
  File "tools/release.py", line 3, in <module>
    import yaml
ModuleNotFoundError: No module named 'yaml'
Error: Process completed with exit code 1.
"""

DOCKER_ERROR = (
    "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
    "Is the docker daemon running?"
)


async def stock(url: str) -> dict[str, int]:
    """Fill a fresh database; return the ids the screenshots need."""
    engine = create_engine(url)
    await migrations.upgrade(engine)
    sessions = create_sessions(engine)
    await import_drafts(sessions, load_starter_spellbook())
    async with sessions() as session:
        ids = await ids_by_title(
            session,
            [
                "Python module is not installed",
                "Cannot connect to the Docker daemon",
                "Name is not defined",
            ],
        )
    module, docker, name = (
        ids[t]
        for t in (
            "Python module is not installed",
            "Cannot connect to the Docker daemon",
            "Name is not defined",
        )
    )
    rows: list[object] = []
    for n, (repo, pr, age) in enumerate(
        [
            ("octo/app", 42, 1),
            ("octo/app", 41, 20),
            ("octo/lib", 7, 50),
            ("octo/lib", 8, 200),
            ("acme/api", 3, 400),
        ]
    ):
        rows.append(
            analysis(
                [
                    finding(
                        1,
                        "ModuleNotFoundError: No module named 'yaml'",
                        path="tools/release.py",
                        line=3,
                        spell_id=module,
                        spell_title="Python module is not installed",
                        spell_solution="python -m pip install pyyaml",
                        score=0.86,
                        why="its pattern matches; same error type",
                    ),
                    finding(
                        2,
                        DOCKER_ERROR,
                        error_type="DockerError",
                        path=None,
                        line=None,
                        spell_id=docker if n % 2 == 0 else None,
                        spell_title="Cannot connect to the Docker daemon",
                        score=0.7,
                    ),
                    finding(
                        3,
                        "NameError: name 'reponse' is not defined",
                        error_type="NameError",
                        path="app/views.py",
                        line=88,
                        spell_id=name if n < 3 else None,
                        spell_title="Name is not defined",
                        score=0.74,
                    ),
                ],
                repository=repo,
                pr_number=pr,
                head_sha=f"{n}" * 40,
                created_at=NOW - timedelta(hours=age),
                finished_at=NOW - timedelta(hours=age),
                duration_ms=140 + n * 30,
            )
        )
    rows += [
        delivery("5c1e4d2a-9b1f-11ef-8a4e-1a2b3c4d5e6f", status="done"),
        delivery(
            "7d0a9e3c-9b1f-11ef-8f1a-2b3c4d5e6f70",
            status="failed",
            attempts=8,
            last_error="GitHub answered 502 Bad Gateway (attempt 8 of 8)",
            repository="octo/lib",
            pr_number=7,
        ),
        delivery(
            "8e2b1f4d-9b1f-11ef-9c2b-3c4d5e6f7081",
            event="ping",
            action=None,
            pr_number=None,
            status="ignored",
        ),
        delivery(
            "9f3c205e-9b1f-11ef-a13c-4d5e6f708192",
            status="queued",
            attempts=2,
            last_error="GitHub rate limit: retry at 14:05",
            repository="acme/api",
            pr_number=3,
        ),
    ]
    [first, *_] = await store(url, *rows)
    async with sessions.begin() as session:
        for verdict in ("helpful", "helpful", "helpful", "wrong"):
            await record_vote(session, await get_finding(session, int(first), 1), verdict, now=NOW)
    await engine.dispose()
    return {"module": module, "name": name, "analysis": int(first)}


async def shoot(page: Page, path: str, out: Path, *, height: int = 720) -> None:
    await page.set_viewport_size({"width": 1000, "height": height})
    await page.screenshot(path=str(out), full_page=False)
    print(f"{out}: {out.stat().st_size // 1024} KiB")


async def main(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/shots.db"
        ids = await stock(url)
        settings = Settings(
            database_url=url,
            api_token=TOKEN,
            app_env="test",
            worker_concurrency=0,
            github_api_url="https://api.github.com",  # only for the links drawn; nothing is fetched
        )
        async with serve(create_app(settings)) as base, async_playwright() as driver:
            browser = await driver.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
            )
            page = await (await browser.new_context(base_url=base)).new_page()
            await page.goto("/signin")
            await page.get_by_label("API token").fill(TOKEN)
            await page.get_by_role("button", name="Sign in").click()
            await page.goto("/spells?tag=python")
            await shoot(page, "/spells", directory / "spells.png")
            await page.goto(f"/spells/{ids['module']}")
            await page.get_by_label("A log or a snippet").fill(TRACEBACK)
            await page.get_by_role("button", name="Try it").click()
            await page.evaluate("document.getElementById('try-h').scrollIntoView()")
            await shoot(page, "try", directory / "try-it.png")
            await page.goto(f"/spells/{ids['name']}/edit")
            await page.get_by_label("Pattern", exact=True).fill("name 'request' is not defined")
            await page.get_by_label("Examples", exact=True).fill("")
            await page.get_by_role("button", name="Dry run on stored analyses").click()
            await page.evaluate("document.getElementById('dry-run').scrollIntoView()")
            await shoot(page, "dry run", directory / "dry-run.png", height=460)
            await page.goto("/stats")
            await shoot(page, "/stats", directory / "stats.png")
            await page.goto(f"/analyses/{ids['analysis']}")
            await shoot(page, "analysis", directory / "analysis.png")
            await page.goto("/deliveries")
            await shoot(page, "/deliveries", directory / "deliveries.png", height=420)
            await browser.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")))
