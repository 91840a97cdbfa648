"""Dry runs of spell edits: POST /api/spells/{id}/dry-run and ``grimoire spells dry-run``."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import httpx

from grimoire.config import Settings
from tests.apps import running
from tests.conftest import API_TOKEN
from tests.test_cli import grimoire
from tests.web.errors import assert_error
from tests.web.pages.stored import analysis, finding, store

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
MODULE = {
    "title": "Python package is not installed",
    "description": "The import names a package missing from the environment.",
    "error_type": "ModuleNotFoundError",
    "error_pattern": r"No module named '(\w+)'",
    "solution_code": "pip install <package>",
    "tags": "python",
}
DOCKER = {
    "title": "Docker daemon is not running",
    "description": "Cannot connect to the Docker daemon.",
    "error_type": "DockerError",
    "error_pattern": "Is the docker daemon running",
    "solution_code": "systemctl start docker",
    "tags": "docker",
}
EDIT = MODULE | {
    "error_type": "DockerError",
    "error_pattern": "Cannot connect to the Docker daemon at",
}
DOCKER_MESSAGE = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock"


async def stock(http: httpx.AsyncClient, database_url: str) -> tuple[int, int, int]:
    ids = []
    for spell in (MODULE, DOCKER):
        response = await http.post("/api/spells", json=spell, headers=AUTH)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    module, docker = ids
    [analysis_id] = await store(
        database_url,
        analysis(
            [
                finding(1, "No module named 'yaml'", spell_id=module),
                finding(2, DOCKER_MESSAGE, error_type="DockerError", spell_id=docker),
                finding(3, "No module named 'requests'", spell_id=module, path=None, line=None),
            ],
            repository="octo/app",
            pr_number=7,
        ),
    )
    assert isinstance(analysis_id, int)
    return module, docker, analysis_id


async def test_the_api_lists_what_an_edit_gains_and_loses(app_settings: Settings) -> None:
    settings = dataclasses.replace(app_settings, api_token=API_TOKEN)
    async with running(settings) as http:
        module, _, analysis_id = await stock(http, settings.database_url)
        response = await http.post(f"/api/spells/{module}/dry-run", json=EDIT, headers=AUTH)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert (body["spell_id"], body["checked"]) == (module, 3)
        [gained] = body["gained"]
        assert gained["finding"]["message"] == DOCKER_MESSAGE
        assert gained["finding"]["analysis_id"] == analysis_id
        assert (gained["before_title"], gained["after_spell_id"]) == (DOCKER["title"], module)
        assert sorted(c["finding"]["rank"] for c in body["lost"]) == [1, 3]
        assert {c["after_spell_id"] for c in body["lost"]} == {None}
        # Nothing was saved.
        stored = (await http.get(f"/api/spells/{module}", headers=AUTH)).json()
        assert stored["error_pattern"] == MODULE["error_pattern"]
        # The same spell unchanged changes nothing.
        same = await http.post(f"/api/spells/{module}/dry-run", json=MODULE, headers=AUTH)
        assert (same.json()["gained"], same.json()["lost"]) == ([], [])


async def test_the_api_checks_the_edit_and_the_spell(app_settings: Settings) -> None:
    settings = dataclasses.replace(app_settings, api_token=API_TOKEN)
    async with running(settings) as http:
        module, _, _ = await stock(http, settings.database_url)
        bad = await http.post(
            f"/api/spells/{module}/dry-run", json=EDIT | {"error_pattern": "(?=x)"}, headers=AUTH
        )
        assert_error(bad, 422, "INVALID_SPELL")
        missing = await http.post("/api/spells/99999/dry-run", json=EDIT, headers=AUTH)
        assert_error(missing, 404, "SPELL_NOT_FOUND")
        anonymous = await http.post(f"/api/spells/{module}/dry-run", json=EDIT)
        assert_error(anonymous, 401, "UNAUTHORIZED")


async def test_the_command_prints_gains_and_losses(app_settings: Settings, tmp_path: Path) -> None:
    settings = dataclasses.replace(app_settings, api_token=API_TOKEN)
    async with running(settings) as http:
        await stock(http, settings.database_url)
    edits = tmp_path / "edits.json"
    new = MODULE | {
        "title": "A new spell",
        "description": "The requests package is not installed.",
        "error_pattern": "No module named 'requests'",
    }
    files = [spell | {"tags": [spell["tags"]]} for spell in (EDIT, new)]  # files list tags
    edits.write_text(json.dumps(files), encoding="utf-8")
    result = grimoire("spells", "dry-run", str(edits), database_url=settings.database_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{MODULE['title']} (spell #1): 1 gained, 2 lost of the 3 newest")
    assert lines[1].startswith("  + octo/app#7 src/app.py:12 DockerError: Cannot connect")
    assert "(was: Docker daemon is not running; analysis 1, finding 2)" in lines[1]
    assert lines[2].startswith("  - octo/app#7 src/app.py:11 ModuleNotFoundError")
    assert lines[4] == "A new spell (a new spell): 1 gained, 0 lost of the 3 newest stored findings"
    assert "No module named 'requests'" in lines[5]
