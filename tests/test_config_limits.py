"""The HTTP_* limits read from the environment, and production's refusal of blank secrets."""

from __future__ import annotations

import pytest

from grimoire.config import Settings
from grimoire.errors import ConfigError
from grimoire.limits import ServerLimits


def test_limits_default_when_unset() -> None:
    assert Settings.from_environ({}, env_file=None).limits == ServerLimits()


def test_limits_are_read_from_the_environment() -> None:
    environ = {
        "HTTP_MAX_HEADER_BYTES": "16384",
        "HTTP_MAX_HEADERS": "50",
        "HTTP_MAX_REQUEST_LINE": "4096",
        "HTTP_HEADER_TIMEOUT": "2.5",
        "HTTP_BODY_TIMEOUT": "60",
        "HTTP_IDLE_TIMEOUT": "1",
        "HTTP_MAX_CONNECTIONS": "100",
        "HTTP_BODY_SLOTS": "4",
        "HTTP_BODY_SLOT_WAIT": "2",
        "FORWARDED_ALLOW_IPS": "10.0.0.5",
    }
    assert Settings.from_environ(environ, env_file=None).limits == ServerLimits(
        max_header_bytes=16384,
        max_headers=50,
        max_request_line=4096,
        header_timeout=2.5,
        body_timeout=60,
        idle_timeout=1,
        max_connections=100,
        body_slots=4,
        slot_wait=2,
        forwarded_allow_ips="10.0.0.5",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_HEADER_TIMEOUT", "0"),
        ("HTTP_BODY_TIMEOUT", "-1"),
        ("HTTP_IDLE_TIMEOUT", "inf"),
        ("HTTP_BODY_SLOTS", "0"),
        ("HTTP_MAX_HEADER_BYTES", "10"),
        ("HTTP_HEADER_TIMEOUT", "soon"),
    ],
)
def test_a_bad_limit_is_refused_by_name(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Settings.from_environ({name: value}, env_file=None)


PRODUCTION = {"APP_ENV": "production", "GITHUB_WEBHOOK_SECRET": "s3cret", "API_TOKEN": "t0ken"}


@pytest.mark.parametrize(
    "blank",
    [
        {"GITHUB_WEBHOOK_SECRET": "   "},
        {"API_TOKEN": "\t"},
        {"GITHUB_WEBHOOK_PREVIOUS_SECRET": "  "},
        {"GITHUB_API_TOKEN": " "},
    ],
)
def test_production_refuses_whitespace_only_secrets(blank: dict[str, str]) -> None:
    [name] = blank
    with pytest.raises(ConfigError, match=name):
        Settings.from_environ(PRODUCTION | blank, env_file=None)


def test_production_starts_with_real_secrets() -> None:
    assert Settings.from_environ(PRODUCTION, env_file=None).app_env == "production"
