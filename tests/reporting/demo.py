"""Try reporting locally: Grimoire against the fake GitHub, one signed delivery, the result.

    python -m tests.reporting.demo            # as a token: the sticky comment
    python -m tests.reporting.demo --app      # as a GitHub App: check run + comment
    python -m tests.reporting.demo --keep     # then keep both servers up to poke at

It serves the fake GitHub the tests use (tests/fakegithub.py) and Grimoire on loopback, with a
throwaway SQLite database; creates two spells; registers a pull request whose diff adds an AWS key
and a ``breakpoint()``; sends GitHub's ``pull_request`` payload, signed like GitHub signs it, to
``POST /webhook``; waits for the worker; and prints the comment and check run the fake received.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shlex
import tempfile
from pathlib import Path

import httpx

from grimoire import migrations
from grimoire.app import create_app
from grimoire.config import Settings
from grimoire.storage.db import create_engine
from tests.conftest import WEBHOOK_SECRET
from tests.fakegithub import FakeGitHub
from tests.reporting.stage import (
    AWS_KEY,
    DEBUGGER,
    REPO,
    WITH_BOTH,
    Stage,
    credentials,
    sha,
)
from tests.servers import serve


async def demo(*, app: bool, keep: bool) -> None:
    """Run the whole flow once and print what GitHub would show."""
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite+aiosqlite:///{Path(directory) / 'demo.db'}"
        engine = create_engine(database_url)
        await migrations.upgrade(engine)
        await engine.dispose()
        fake = FakeGitHub()
        async with serve(fake) as github_url:
            settings = Settings(
                database_url=database_url,
                github_webhook_secret=WEBHOOK_SECRET,
                github_api_url=github_url,
                worker_concurrency=1,
                log_level="WARNING",
                github_write_spacing=0.0,
                **credentials(fake, "app" if app else "token"),
            )
            async with serve(create_app(settings)) as grimoire_url:
                await run_once(fake, settings, grimoire_url, github_url)
                if keep:
                    await wait_forever(settings, grimoire_url, github_url)


async def run_once(
    fake: FakeGitHub, settings: Settings, grimoire_url: str, github_url: str
) -> None:
    """Create spells, deliver one push, wait, print the comment and the check run."""
    async with httpx.AsyncClient(base_url=grimoire_url, timeout=10) as client:
        stage = Stage(fake, client, settings)
        await stage.add_spell(AWS_KEY)
        await stage.add_spell(DEBUGGER)
        delivery = await stage.push(1, sha(1), WITH_BOTH, action="opened")
        analysis = await stage.reported(1, sha(1), delivery)
    print(
        f"analysis {analysis['id']}: {analysis['findings_count']} findings, "
        f"report_status={analysis['report_status']}\n"
    )
    for comment in fake.comments_on(REPO, 1):
        print(f"--- comment {comment.id} on {REPO}#1 ---\n{comment.body}\n")
    for run in fake.check_runs.values():
        output = run.output or {}
        print(f"--- check run {run.id}: {run.status}, {run.conclusion} ---")
        print(f"{output.get('title')}\n\n{output.get('summary')}\n")
        for note in run.annotations:
            print(
                f"  {note['annotation_level']}: {note['path']}:{note['start_line']} {note['title']}"
            )


async def wait_forever(settings: Settings, grimoire_url: str, github_url: str) -> None:
    """Print what a shell needs to send more deliveries, then serve until Ctrl-C."""
    print("\nServing until Ctrl-C. In another shell:\n")
    print(f"export GRIMOIRE={grimoire_url} GITHUB={github_url}")
    print(f"export SECRET={shlex.quote(WEBHOOK_SECRET)}")
    if settings.github_api_token:
        print(f"export GITHUB_TOKEN={settings.github_api_token}")
    await asyncio.Event().wait()


def main() -> None:
    """Parse the options and run the demo."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", action="store_true", help="authenticate as a GitHub App")
    parser.add_argument("--keep", action="store_true", help="keep the servers running")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(demo(app=args.app, keep=args.keep))


if __name__ == "__main__":
    main()
