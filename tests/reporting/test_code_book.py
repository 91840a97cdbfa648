"""The seeded starter books on an ordinary pull request, through the whole service.

The demo's diff (an AWS key and a ``breakpoint()``) must give both findings with nothing but
``grimoire spells seed``'s books, the key masked everywhere GitHub and the API show it; the same
lines in Markdown, and an error-looking docstring in code, give nothing.
"""

from __future__ import annotations

import json

from grimoire.spellbook import load_starter_spellbook
from grimoire.spellbook.sync import import_drafts
from grimoire.storage.db import create_engine, create_sessions
from tests.reporting.stage import BREAK_LINE, KEY_LINE, REPO, diff_adding, sha, stage

KEY = "AKIAABCDEFGHIJKLMNOP"
DEMO = diff_adding(
    {
        "app/settings.py": [KEY_LINE],
        "app/run.py": ["x = 1", BREAK_LINE],
        "docs/debugging.md": ["Stop the program with:", BREAK_LINE],
        "app/errors.py": ['"""Raised as:', "KeyError: 'port'", '"""'],
    }
)


async def seed(database_url: str) -> None:
    """Do what ``grimoire spells seed`` does: store both starter books."""
    engine = create_engine(database_url)
    try:
        await import_drafts(create_sessions(engine), load_starter_spellbook())
    finally:
        await engine.dispose()


async def test_the_demo_diff_gets_both_findings_with_the_seeded_books(
    database_url: str,
) -> None:
    await seed(database_url)
    async with stage(database_url, auth="app") as s:
        delivery = await s.push(1, sha(1), DEMO, action="opened")
        analysis = await s.reported(1, sha(1), delivery)
        found = {(f["path"], f["line"], f["spell_title"]) for f in analysis["findings"]}
        assert found == {
            ("app/settings.py", 1, "AWS access key id committed"),
            ("app/run.py", 2, "Python: breakpoint() left in"),
        }
        [leak] = [f for f in analysis["findings"] if f["path"] == "app/settings.py"]
        assert leak["message"] == 'KEY = "AKIA****************"'
        [comment] = s.fake.comments_on(REPO, 1)
        shown = [
            json.dumps(analysis),
            comment.body,
            *(json.dumps(run.output) for run in s.fake.check_runs.values()),
        ]
        assert "AKIA****************" in comment.body
        assert all(KEY not in text and KEY[4:] not in text for text in shown)
        assert "breakpoint()" in comment.body
