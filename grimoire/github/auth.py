"""Who Grimoire is to GitHub: a fixed token, or a GitHub App and its installation tokens.

- :class:`TokenAuth` sends one token (a personal access token or an installation token minted
  elsewhere) as ``Authorization: Bearer <token>``.
- :class:`AppAuth` signs a short-lived app JWT with the App's RS256 private key, trades it for an
  installation token (``POST /app/installations/{id}/access_tokens``, sent by ``GitHubClient``)
  and caches that token per installation until shortly before it expires.

Tokens never appear in a ``repr``, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import jwt
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from grimoire.errors import ConfigError, GitHubRejected

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]

# https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
# "iat" 60 seconds in the past allows for clock drift; "exp" may be at most 10 minutes ahead.
JWT_BACKDATE = timedelta(seconds=60)
JWT_LIFETIME = timedelta(minutes=9)
# Installation tokens live one hour; refresh a little early so a token never expires mid-job.
REFRESH_BEFORE_EXPIRY = timedelta(minutes=5)


def utc_now() -> datetime:
    """Return the current time, timezone-aware in UTC (the default clock)."""
    return datetime.now(UTC)


class InstallationToken(msgspec.Struct, frozen=True):
    """An installation access token as GitHub returns it (other fields are ignored)."""

    token: str
    expires_at: datetime

    def __repr__(self) -> str:
        return f"InstallationToken(token='***', expires_at={self.expires_at.isoformat()!r})"


MintToken = Callable[[int, str], Awaitable[InstallationToken]]
"""Trade an app JWT for an installation token: ``mint(installation_id, app_jwt)``."""


class TokenAuth:
    """Authenticate every request with one fixed token (PAT or installation token)."""

    __slots__ = ("_token",)

    def __init__(self, token: str) -> None:
        token = token.strip()
        if not token or any(c.isspace() for c in token):
            raise ConfigError("GITHUB_API_TOKEN must be a single non-empty token")
        self._token = token

    def __repr__(self) -> str:
        return "TokenAuth(token='***')"

    def authorization(self) -> str:
        """Return the Authorization header value."""
        return f"Bearer {self._token}"


class AppAuth:
    """Authenticate as installations of a GitHub App, minting and caching installation tokens."""

    def __init__(
        self,
        *,
        app_id: int | str,
        private_key: str,
        installation_id: int | None = None,
        now: Clock = utc_now,
        refresh_before: timedelta = REFRESH_BEFORE_EXPIRY,
    ) -> None:
        self.app_id = str(app_id).strip()
        if not self.app_id:
            raise ConfigError("the GitHub App id (or client id) must not be empty")
        self._key = load_private_key(private_key)
        self.default_installation_id = installation_id
        self._now = now
        self._refresh_before = refresh_before
        self._tokens: dict[int, InstallationToken] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def __repr__(self) -> str:
        return f"AppAuth(app_id={self.app_id!r}, installation_id={self.default_installation_id!r})"

    def resolve(self, installation_id: int | None) -> int:
        """Return the installation to act as: the one given, else the configured default."""
        if installation_id is not None:
            return installation_id
        if self.default_installation_id is None:
            # A permanent refusal, not a crash: e.g. a repository webhook (no installation) while
            # Grimoire is configured as an App. Nothing is sent to GitHub.
            raise GitHubRejected(
                "GitHub App authentication needs an installation id: the delivery carries no "
                "installation.id (is the webhook the App's?) and no default installation is set",
                status=401,
            )
        return self.default_installation_id

    def app_jwt(self) -> str:
        """Sign a fresh app JWT (RS256) that authenticates as the App itself."""
        now = self._now()
        claims = {
            "iat": int((now - JWT_BACKDATE).timestamp()),
            "exp": int((now + JWT_LIFETIME).timestamp()),
            "iss": self.app_id,
        }
        return jwt.encode(claims, self._key, algorithm="RS256")

    async def installation_token(self, installation_id: int, *, mint: MintToken) -> str:
        """Return a cached token for the installation, minting a new one when it nears expiry."""
        # One mint at a time per installation: concurrent jobs share the fresh token instead of
        # each minting their own.
        async with self._locks.setdefault(installation_id, asyncio.Lock()):
            cached = self._tokens.get(installation_id)
            if cached is not None and self._now() < cached.expires_at - self._refresh_before:
                return cached.token
            fresh = await mint(installation_id, self.app_jwt())
            self._tokens[installation_id] = fresh
            return fresh.token

    def forget(self, installation_id: int, token: str) -> None:
        """Drop ``token`` from the cache (GitHub refused it), unless it was already replaced."""
        cached = self._tokens.get(installation_id)
        if cached is not None and cached.token == token:
            del self._tokens[installation_id]


def load_private_key(pem: str) -> RSAPrivateKey:
    """Load the App's RSA private key from PEM text, accepting ``\\n``-escaped newlines."""
    text = pem.strip()
    if "\n" not in text and "\\n" in text:
        # A PEM pasted into a one-line environment variable usually arrives with literal "\n".
        text = text.replace("\\n", "\n")
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as exc:
        # The message must not echo the key.
        raise ConfigError("the GitHub App private key is not a readable PEM private key") from exc
    if not isinstance(key, RSAPrivateKey):
        raise ConfigError("the GitHub App private key must be an RSA key (GitHub signs with RS256)")
    return key


def build_auth(
    *,
    token: str | None = None,
    app_id: int | str | None = None,
    private_key: str | None = None,
    installation_id: int | None = None,
    now: Clock = utc_now,
) -> TokenAuth | AppAuth | None:
    """Choose the authentication from settings: an App (id + key), a token, or none at all.

    An App wins over a token when both are set: installation tokens are scoped to what the App
    was granted and can create check runs, which a personal access token cannot.
    """
    if (app_id is None) != (private_key is None):
        raise ConfigError("a GitHub App needs both its id and its private key")
    if app_id is not None and private_key is not None:
        if token:
            logger.warning("both a GitHub token and a GitHub App are configured; using the App")
        return AppAuth(
            app_id=app_id, private_key=private_key, installation_id=installation_id, now=now
        )
    if token:
        return TokenAuth(token)
    return None
