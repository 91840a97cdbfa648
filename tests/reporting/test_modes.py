"""REPORT_MODE: the default follows the credentials; a mode they cannot serve refuses to start."""

from __future__ import annotations

import pytest

from grimoire.channels import enabled_channels
from grimoire.cli import main
from grimoire.config import Settings
from grimoire.errors import ConfigError
from tests.fakegithub import app_key_pair

APP = {"GITHUB_APP_ID": "4242", "GITHUB_APP_PRIVATE_KEY": "set below"}


def settings(**environ: str) -> Settings:
    if environ.get("GITHUB_APP_PRIVATE_KEY") == "set below":
        environ["GITHUB_APP_PRIVATE_KEY"] = app_key_pair()[0]
    return Settings.from_environ(environ, env_file=None)


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({}, "none"),
        ({"GITHUB_API_TOKEN": "ghp_x"}, "comment"),
        (APP, "both"),
        ({**APP, "GITHUB_API_TOKEN": "ghp_x"}, "both"),
        ({**APP, "REPORT_MODE": "check"}, "check"),
        ({**APP, "REPORT_MODE": "comment"}, "comment"),
        ({"GITHUB_API_TOKEN": "ghp_x", "REPORT_MODE": "none"}, "none"),
        ({"REPORT_MODE": "none"}, "none"),
    ],
)
def test_report_mode(environ: dict[str, str], mode: str) -> None:
    configured = settings(**environ)
    assert configured.effective_report_mode == mode
    names = {"comment": ["comment"], "check": ["check_run"], "both": ["check_run", "comment"]}
    assert [channel.name for channel in enabled_channels(configured)] == names.get(mode, [])


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        (
            {"REPORT_MODE": "check", "GITHUB_API_TOKEN": "ghp_x"},
            "REPORT_MODE=check needs a GitHub App",
        ),
        ({"REPORT_MODE": "both"}, "REPORT_MODE=both needs a GitHub App"),
        ({"REPORT_MODE": "comment"}, "REPORT_MODE=comment needs GITHUB_API_TOKEN or a GitHub App"),
    ],
)
def test_a_mode_the_credentials_cannot_serve_is_refused(
    environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        settings(**environ)


def test_the_command_line_refuses_to_start_and_says_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REPORT_MODE", "check")
    monkeypatch.setenv("GITHUB_API_TOKEN", "ghp_x")
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    assert main(["worker"]) == 2
    assert "REPORT_MODE=check needs a GitHub App" in capsys.readouterr().err
