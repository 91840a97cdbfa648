"""Settings: the one place that reads the environment (and an optional ``.env`` file).

Every other module takes a ``Settings`` value as a parameter. Values are validated once, at
start, so a bad setting stops the service with a message naming the variable instead of
failing later on the first request that needs it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Literal, cast, get_args, overload
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from limits import parse_many
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from starlette.config import Config

from grimoire.errors import ConfigError
from grimoire.limits import ServerLimits
from grimoire.logs import LogFormat

AppEnv = Literal["development", "production", "test"]
ReportMode = Literal["comment", "check", "both", "none"]
FindingsConclusion = Literal["neutral", "failure"]

API_GROUPS = ("spells", "match", "deliveries", "analyses", "stats")
"""The /api/* groups (the path segment after /api/); API_PUBLIC_READS names some of them."""

# The channels (grimoire.channels) each REPORT_MODE turns on.
REPORT_MODE_CHANNELS: Mapping[ReportMode, frozenset[str]] = {
    "comment": frozenset({"comment"}),
    "check": frozenset({"check_run"}),
    "both": frozenset({"check_run", "comment"}),
    "none": frozenset(),
}

_LOG_LEVELS = ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG")
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything configurable, with the defaults of DESIGN.md."""

    database_url: str = "sqlite+aiosqlite:///./grimoire.db"
    github_webhook_secret: str | None = field(default=None, repr=False)
    github_webhook_previous_secret: str | None = field(default=None, repr=False)
    github_api_token: str | None = field(default=None, repr=False)
    github_api_url: str = "https://api.github.com"
    github_app_id: int | None = None
    github_app_private_key: str | None = field(default=None, repr=False)
    api_token: str | None = field(default=None, repr=False)
    # Groups of API_GROUPS whose reads stay open with API_TOKEN set (writes never are).
    api_public_reads: frozenset[str] = frozenset()
    # Per-client limit on /api/* in the `limits` notation ("100/second"); None: no limit.
    api_rate_limit: str | None = None
    # Where the counts live: "memory://" (per process) or a shared store ("redis://host:6379").
    api_rate_limit_storage: str = "memory://"
    # The token `grimoire match --url` sends to a service that has API_TOKEN set.
    client_api_token: str | None = field(default=None, repr=False)
    app_env: AppEnv = "development"
    log_level: str = "INFO"
    log_format: LogFormat = "text"
    worker_concurrency: int = 2
    delivery_max_attempts: int = 8
    job_lease_seconds: int = 30
    retry_base_seconds: float = 5.0
    report_mode: ReportMode | None = None
    findings_conclusion: FindingsConclusion = "neutral"
    public_url: str | None = None
    # Set: metrics of every process sharing this directory are summed (prometheus-client reads
    # the variable itself too, at import, to decide where values are written).
    prometheus_multiproc_dir: str | None = None
    # GitHub HTTP timeouts in seconds: to connect, and for each read of a response (a big diff
    # takes a while); writes and waiting for a pooled connection are bounded by these too.
    github_connect_timeout: int = 5
    github_read_timeout: int = 30
    # Seconds between two writes to one installation (GitHub asks for at least one); tests set 0.
    github_write_spacing: float = 1.0
    limits: ServerLimits = field(default_factory=ServerLimits)
    # How often the worker runs `grimoire reconcile` (a GitHub App only); None: never.
    reconcile_every: timedelta | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "database_url", normalize_database_url(self.database_url))
        _check_url("GITHUB_API_URL", self.github_api_url, example="https://api.github.com")
        if self.public_url is not None:
            _check_url("PUBLIC_URL", self.public_url, example="https://grimoire.example.com")
        _check_github_app(self)
        _check_report_mode(self)
        if self.app_env == "production":
            missing = [
                name
                for name, value in (
                    ("GITHUB_WEBHOOK_SECRET", self.github_webhook_secret),
                    ("API_TOKEN", self.api_token),
                )
                if not (value and value.strip())
            ]
            if missing:
                raise ConfigError(
                    f"APP_ENV=production refuses to start without {' and '.join(missing)} "
                    "(a value of only spaces counts as none)"
                )
            _refuse_blank_secrets(self)

    @property
    def webhook_secrets(self) -> tuple[str, ...]:
        """The secrets a webhook signature may be made with, current first."""
        return tuple(
            secret
            for secret in (self.github_webhook_secret, self.github_webhook_previous_secret)
            if secret
        )

    @property
    def has_app(self) -> bool:
        """Whether Grimoire authenticates as a GitHub App (which may create check runs)."""
        return self.github_app_id is not None and self.github_app_private_key is not None

    @property
    def effective_report_mode(self) -> ReportMode:
        """How analyses are reported: ``REPORT_MODE``, else what the credentials allow.

        Default: ``both`` as a GitHub App, ``comment`` with a token, ``none`` without credentials.
        """
        if self.report_mode is not None:
            return self.report_mode
        if self.has_app:
            return "both"
        return "comment" if self.github_api_token else "none"

    @property
    def report_channels(self) -> frozenset[str]:
        """The names of the channels that report analyses (see ``grimoire.channels``)."""
        return REPORT_MODE_CHANNELS[self.effective_report_mode]

    @classmethod
    def from_environ(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Read settings from ``environ`` (default: the process environment) and ``env_file``."""
        if env_file is not None and not Path(env_file).is_file():
            env_file = None
        read = _Reader(Config(env_file, environ=os.environ if environ is None else environ))
        return cls(
            database_url=read.text("DATABASE_URL") or cls.database_url,
            github_webhook_secret=read.text("GITHUB_WEBHOOK_SECRET"),
            github_webhook_previous_secret=read.text("GITHUB_WEBHOOK_PREVIOUS_SECRET"),
            github_api_token=read.text("GITHUB_API_TOKEN"),
            github_api_url=(read.text("GITHUB_API_URL") or cls.github_api_url).rstrip("/"),
            github_app_id=read.number("GITHUB_APP_ID", None, minimum=1),
            github_app_private_key=_private_key(read),
            github_connect_timeout=read.number("GITHUB_CONNECT_TIMEOUT_SECONDS", 5, minimum=1),
            github_read_timeout=read.number("GITHUB_READ_TIMEOUT_SECONDS", 30, minimum=1),
            api_token=read.text("API_TOKEN"),
            api_public_reads=read.names("API_PUBLIC_READS", API_GROUPS),
            client_api_token=read.text("GRIMOIRE_API_TOKEN"),
            api_rate_limit=_rate_limit(read.text("API_RATE_LIMIT")),
            api_rate_limit_storage=read.text("API_RATE_LIMIT_STORAGE") or "memory://",
            app_env=cast(AppEnv, read.choice("APP_ENV", "development", get_args(AppEnv))),
            log_level=read.choice("LOG_LEVEL", "INFO", _LOG_LEVELS, upper=True),
            log_format=cast(LogFormat, read.choice("LOG_FORMAT", "text", get_args(LogFormat))),
            worker_concurrency=read.number("WORKER_CONCURRENCY", 2, minimum=0),
            delivery_max_attempts=read.number("DELIVERY_MAX_ATTEMPTS", 8, minimum=1),
            job_lease_seconds=read.number("JOB_LEASE_SECONDS", 30, minimum=5),
            retry_base_seconds=read.number("DELIVERY_RETRY_BASE_SECONDS", 5, minimum=1),
            report_mode=cast(
                ReportMode | None, read.choice("REPORT_MODE", None, get_args(ReportMode))
            ),
            findings_conclusion=cast(
                FindingsConclusion,
                read.choice("FINDINGS_CONCLUSION", "neutral", get_args(FindingsConclusion)),
            ),
            public_url=(read.text("PUBLIC_URL") or "").rstrip("/") or None,
            prometheus_multiproc_dir=read.text("PROMETHEUS_MULTIPROC_DIR"),
            limits=_server_limits(read),
            reconcile_every=_every("RECONCILE_EVERY", read.text("RECONCILE_EVERY")),
        )


def _check_url(name: str, url: str, *, example: str) -> None:
    """Refuse a URL that has no http(s) scheme or no host: it would fail only when first used."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={url!r} is not an http(s) URL with a host, e.g. {example}")


def _check_github_app(settings: Settings) -> None:
    """Refuse half a GitHub App: an id without its key, or a key without its id."""
    has_id = settings.github_app_id is not None
    if has_id and settings.github_app_private_key is None:
        raise ConfigError(
            "GITHUB_APP_ID is set without the App's private key: set GITHUB_APP_PRIVATE_KEY_FILE "
            "(the .pem file GitHub gave you) or GITHUB_APP_PRIVATE_KEY"
        )
    if not has_id and settings.github_app_private_key is not None:
        raise ConfigError(
            "a GitHub App private key is set without GITHUB_APP_ID (the App's id, a number)"
        )


def _refuse_blank_secrets(settings: Settings) -> None:
    """In production, a secret of only whitespace is a typo that anyone could guess: refuse it."""
    blank = [
        name
        for name, value in (
            ("GITHUB_WEBHOOK_PREVIOUS_SECRET", settings.github_webhook_previous_secret),
            ("GITHUB_API_TOKEN", settings.github_api_token),
        )
        if value is not None and not value.strip()
    ]
    if blank:
        raise ConfigError(f"APP_ENV=production refuses blank {' and '.join(blank)}")


def _server_limits(read: _Reader) -> ServerLimits:
    """Read the HTTP_* limits (and FORWARDED_ALLOW_IPS); unset ones keep their defaults."""
    d = ServerLimits()
    return ServerLimits(
        max_header_bytes=read.number("HTTP_MAX_HEADER_BYTES", d.max_header_bytes, minimum=1024),
        max_headers=read.number("HTTP_MAX_HEADERS", d.max_headers, minimum=10),
        max_request_line=read.number("HTTP_MAX_REQUEST_LINE", d.max_request_line, minimum=256),
        header_timeout=read.seconds("HTTP_HEADER_TIMEOUT", d.header_timeout),
        body_timeout=read.seconds("HTTP_BODY_TIMEOUT", d.body_timeout),
        idle_timeout=read.seconds("HTTP_IDLE_TIMEOUT", d.idle_timeout),
        max_connections=read.number("HTTP_MAX_CONNECTIONS", d.max_connections, minimum=2),
        body_slots=read.number("HTTP_BODY_SLOTS", d.body_slots, minimum=1),
        slot_wait=read.seconds("HTTP_BODY_SLOT_WAIT", d.slot_wait),
        forwarded_allow_ips=read.text("FORWARDED_ALLOW_IPS") or d.forwarded_allow_ips,
    )


def _check_report_mode(settings: Settings) -> None:
    """Refuse a REPORT_MODE the credentials cannot serve (the default always can)."""
    app = settings.has_app
    if "check_run" in REPORT_MODE_CHANNELS[settings.report_mode or "none"] and not app:
        # https://docs.github.com/en/rest/checks/runs#create-a-check-run: only GitHub Apps may.
        raise ConfigError(
            f"REPORT_MODE={settings.report_mode} needs a GitHub App (GITHUB_APP_ID and "
            "GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE): only Apps create check runs"
        )
    if settings.report_mode == "comment" and not (app or settings.github_api_token):
        raise ConfigError("REPORT_MODE=comment needs GITHUB_API_TOKEN or a GitHub App")


class _Reader:
    """Typed, validated reads from a Starlette ``Config``; an empty value counts as unset."""

    def __init__(self, config: Config) -> None:
        self._config = config

    def text(self, name: str) -> str | None:
        value = self._config(name, default=None)
        return value or None

    def names(self, name: str, choices: tuple[str, ...]) -> frozenset[str]:
        """Read a comma-separated set of names, each one of ``choices``."""
        names = frozenset(part.strip() for part in (self.text(name) or "").split(",")) - {""}
        unknown = sorted(names - set(choices))
        if unknown:
            raise ConfigError(
                f"{name} names {', '.join(unknown)}; choose among: {', '.join(choices)}"
            )
        return names

    @overload
    def number(self, name: str, default: int, *, minimum: int) -> int: ...
    @overload
    def number(self, name: str, default: None, *, minimum: int) -> int | None: ...
    def number(self, name: str, default: int | None, *, minimum: int) -> int | None:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if value < minimum:
            raise ConfigError(f"{name}={raw!r} is not valid: must be a whole number >= {minimum}")
        return value

    def seconds(self, name: str, default: float) -> float:
        """Read a positive duration in seconds (``2.5`` is fine)."""
        raw = self.text(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if not 0 < value < float("inf"):
            raise ConfigError(f"{name}={raw!r} is not valid: must be a number of seconds > 0")
        return value

    @overload
    def choice(
        self, name: str, default: str, choices: tuple[str, ...], *, upper: bool = False
    ) -> str: ...
    @overload
    def choice(
        self, name: str, default: None, choices: tuple[str, ...], *, upper: bool = False
    ) -> str | None: ...
    def choice(
        self, name: str, default: str | None, choices: tuple[str, ...], *, upper: bool = False
    ) -> str | None:
        raw = self.text(name)
        if raw is None:
            return default
        value = raw.upper() if upper else raw
        if value not in choices:
            raise ConfigError(f"{name}={raw!r} is not one of: {', '.join(choices)}")
        return value


def normalize_database_url(url: str) -> str:
    """Return ``url`` with an async driver (``postgresql://`` → ``postgresql+asyncpg://``)."""
    try:
        parsed: URL = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"DATABASE_URL is not a database URL: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend not in _ASYNC_DRIVERS:
        raise ConfigError(
            f"DATABASE_URL uses {backend!r}; supported: sqlite+aiosqlite:// and "
            "postgresql+asyncpg://"
        )
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=_ASYNC_DRIVERS[backend])
    elif parsed.drivername not in _ASYNC_DRIVERS.values():
        raise ConfigError(
            f"DATABASE_URL driver {parsed.drivername!r} is not async; use "
            f"{_ASYNC_DRIVERS[backend]}://"
        )
    return parsed.render_as_string(hide_password=False)


def _rate_limit(text: str | None) -> str | None:
    """Check API_RATE_LIMIT parses in the `limits` notation, so a typo stops the start."""
    if text is None:
        return None
    try:
        parse_many(text)
    except ValueError as exc:
        raise ConfigError(
            f"API_RATE_LIMIT={text!r} is not a rate limit such as 100/second or 6000/minute"
        ) from exc
    return text


_EVERY = re.compile(r"(\d+)([smhd])")
_EVERY_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
MIN_RECONCILE_EVERY = timedelta(minutes=1)


def _every(name: str, text: str | None) -> timedelta | None:
    """Read a period such as ``1h``, ``30m`` or ``1d``; unset or ``off`` is None."""
    if text is None or text.strip().lower() in {"", "off", "0"}:
        return None
    match = _EVERY.fullmatch(text.strip().lower())
    if match is None:
        raise ConfigError(f"{name}={text!r} is not valid: must be a period such as 1h, 30m or 1d")
    every = timedelta(**{_EVERY_UNITS[match[2]]: int(match[1])})
    if every < MIN_RECONCILE_EVERY:
        # The delivery log is read page by page: more often than this only spends rate limit.
        raise ConfigError(f"{name}={text!r} is too often: at least 1m")
    return every


def _private_key(read: _Reader) -> str | None:
    """Read the App's key, inline or from its file, and refuse anything but an RSA PEM key."""
    name, pem = "GITHUB_APP_PRIVATE_KEY", read.text("GITHUB_APP_PRIVATE_KEY")
    if pem:
        # Environments that cannot hold newlines pass the PEM with literal "\n" sequences.
        pem = pem.replace("\\n", "\n")
    elif path := read.text("GITHUB_APP_PRIVATE_KEY_FILE"):
        name = f"GITHUB_APP_PRIVATE_KEY_FILE={path!r}"
        try:
            pem = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not a text file"
            raise ConfigError(f"{name} cannot be read: {reason}") from exc
    else:
        return None
    _check_private_key(name, pem)
    return pem


def _check_private_key(name: str, pem: str) -> None:
    # The message names the variable but never echoes the key.
    try:
        key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{name} is not a PEM private key (expected the text of the .pem file GitHub "
            "generated, starting with -----BEGIN RSA PRIVATE KEY-----)"
        ) from exc
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError(f"{name} is not an RSA key (GitHub Apps sign with RS256)")
