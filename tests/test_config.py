"""Settings from the environment and .env: defaults, verbatim secrets, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from grimoire.config import Settings
from grimoire.errors import ConfigError


def test_defaults_match_the_design() -> None:
    settings = Settings.from_environ({}, env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./grimoire.db"
    assert settings.github_api_url == "https://api.github.com"
    assert settings.webhook_secrets == ()
    assert settings.api_token is None
    assert settings.app_env == "development"
    assert settings.log_level == "INFO"


@pytest.mark.parametrize(
    "secret", ["a,b,c", 'it\'s "quoted"', " spaced out ", "ünïcødé,🔑", "=equals=", "#hash"]
)
def test_secrets_are_taken_verbatim(secret: str) -> None:
    settings = Settings.from_environ(
        {"GITHUB_WEBHOOK_SECRET": secret, "GITHUB_WEBHOOK_PREVIOUS_SECRET": secret + "-old"},
        env_file=None,
    )
    assert settings.webhook_secrets == (secret, secret + "-old")


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("API_TOKEN=from-file\nLOG_LEVEL=debug\n# comment\nAPP_ENV=test\n")
    settings = Settings.from_environ({"APP_ENV": "development"}, env_file=env)
    assert settings.api_token == "from-file"
    assert settings.log_level == "DEBUG"
    assert settings.app_env == "development"


def test_public_reads_are_a_set_of_api_groups() -> None:
    read = Settings.from_environ({"API_PUBLIC_READS": " spells, match ,"}, env_file=None)
    assert read.api_public_reads == {"spells", "match"}
    assert Settings.from_environ({}, env_file=None).api_public_reads == frozenset()


def test_missing_env_file_is_fine(tmp_path: Path) -> None:
    assert Settings.from_environ({}, env_file=tmp_path / "absent.env").api_token is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("APP_ENV", "staging"),
        ("LOG_LEVEL", "LOUD"),
        ("WORKER_CONCURRENCY", "-1"),
        ("WORKER_CONCURRENCY", "two"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("DATABASE_URL", "not a url"),
        ("DATABASE_URL", "postgresql+psycopg2://localhost/x"),
        ("REPORT_MODE", "email"),
        ("API_PUBLIC_READS", "spells,secrets"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name if name != "DATABASE_URL" else "DATABASE_URL"):
        Settings.from_environ({name: value}, env_file=None)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u:p%40ss@h/db", "postgresql+asyncpg://u:p%40ss@h/db"),
        ("postgres://h/db", "postgresql+asyncpg://h/db"),
        ("postgresql+asyncpg://h/db", "postgresql+asyncpg://h/db"),
    ],
)
def test_database_urls_get_an_async_driver(given: str, expected: str) -> None:
    assert Settings.from_environ({"DATABASE_URL": given}, env_file=None).database_url == expected


def test_production_needs_both_secrets() -> None:
    with pytest.raises(ConfigError, match="API_TOKEN"):
        Settings.from_environ(
            {"APP_ENV": "production", "GITHUB_WEBHOOK_SECRET": "s"}, env_file=None
        )
    settings = Settings.from_environ(
        {"APP_ENV": "production", "GITHUB_WEBHOOK_SECRET": "s", "API_TOKEN": "t"}, env_file=None
    )
    assert settings.app_env == "production"


def test_secrets_stay_out_of_repr() -> None:
    settings = Settings(github_webhook_secret="s3cret", api_token="t0ken")
    assert "s3cret" not in repr(settings)
    assert "t0ken" not in repr(settings)


def rsa_pem() -> str:
    from tests.fakegithub import app_key_pair

    return app_key_pair()[0]


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"GITHUB_APP_ID": "1"}, "GITHUB_APP_ID is set without the App's private key"),
        ({"GITHUB_APP_PRIVATE_KEY": "x"}, "GITHUB_APP_PRIVATE_KEY is not a PEM private key"),
        ({"GITHUB_API_URL": "not-a-url"}, "GITHUB_API_URL='not-a-url' is not an http"),
        ({"GITHUB_API_URL": "ftp://h/api"}, "GITHUB_API_URL='ftp://h/api' is not an http"),
        ({"PUBLIC_URL": "grimoire.example.com"}, "PUBLIC_URL='grimoire.example.com' is not"),
        ({"PUBLIC_URL": "https://"}, "PUBLIC_URL='https:' is not an http"),
    ],
)
def test_github_and_url_settings_are_checked(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_environ(environ, env_file=None)
    assert message in caught.value.detail
    assert "\n" not in caught.value.detail


def test_a_key_without_an_app_id_is_refused() -> None:
    with pytest.raises(ConfigError, match="without GITHUB_APP_ID"):
        Settings.from_environ({"GITHUB_APP_PRIVATE_KEY": rsa_pem()}, env_file=None)


def test_a_complete_app_and_urls_are_accepted() -> None:
    settings = Settings.from_environ(
        {
            "GITHUB_APP_ID": "1",
            "GITHUB_APP_PRIVATE_KEY": rsa_pem().replace("\n", "\\n"),
            "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
            "PUBLIC_URL": "http://127.0.0.1:8000/",
        },
        env_file=None,
    )
    assert settings.github_app_private_key is not None
    assert settings.github_app_private_key.startswith("-----BEGIN PRIVATE KEY-----\n")
    assert settings.github_api_url == "https://ghe.example.com/api/v3"
    assert settings.public_url == "http://127.0.0.1:8000"
