"""Who may do what on the pages: sign-in with the API token, the session cookie, CSRF tokens.

Signing in with ``API_TOKEN`` sets a session cookie: ``<issued>.<HMAC>``, signed with a key
derived from the token, so changing the token signs everyone out and the server keeps no session
table. The cookie is HttpOnly (no script reads it) and SameSite=Lax (other sites' forms never
send it). Every form also carries a CSRF token that must equal the ``grimoire_csrf`` cookie
(double submit): a page of another site cannot read that cookie, so it cannot forge the field.

Without ``API_TOKEN`` the API takes writes from anyone, and so do the pages: there is nothing to
sign in to. Reads follow the API (``grimoire.web.auth``): with API_TOKEN set, only the groups
API_PUBLIC_READS names are readable without signing in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from grimoire.config import Settings
from grimoire.resources import resources

SESSION_COOKIE = "grimoire_session"
CSRF_COOKIE = "grimoire_csrf"
CSRF_FIELD = "csrf"
SESSION_SECONDS = 12 * 3600


class CsrfRejected(Exception):
    """A form arrived without a valid CSRF token: it may come from another site."""


def _key(settings: Settings) -> bytes | None:
    """Return the session signing key, or ``None`` when no API token protects writes."""
    if not settings.api_token:
        return None
    return hashlib.sha256(b"grimoire-session\x00" + settings.api_token.encode()).digest()


def _sign(key: bytes, issued: int) -> str:
    return hmac.new(key, str(issued).encode(), hashlib.sha256).hexdigest()


def token_matches(settings: Settings, token: str) -> bool:
    """Tell whether ``token`` is the API token (constant time)."""
    expected = settings.api_token or ""
    return bool(expected) and hmac.compare_digest(
        token.strip().encode("utf-8", "surrogateescape"), expected.encode()
    )


def session_value(settings: Settings, *, now: float) -> str:
    """Return a fresh session cookie value (only when an API token is set)."""
    key = _key(settings)
    assert key is not None
    issued = int(now)
    return f"{issued}.{_sign(key, issued)}"


def signed_in(request: Request) -> bool:
    """Tell whether the request carries a valid, unexpired session cookie."""
    key = _key(resources(request).settings)
    issued, _, signature = request.cookies.get(SESSION_COOKIE, "").partition(".")
    if key is None or not issued.isdigit():
        return False
    fresh = 0 <= time.time() - int(issued) < SESSION_SECONDS
    return fresh and hmac.compare_digest(signature, _sign(key, int(issued)))


def can_write(request: Request) -> bool:
    """Tell whether this visitor may change things (no API token set, or signed in)."""
    return not resources(request).settings.api_token or signed_in(request)


def needs_sign_in(request: Request) -> bool:
    """Tell whether writes need signing in here (an API token is set)."""
    return bool(resources(request).settings.api_token)


def can_read(request: Request, group: str) -> bool:
    """Tell whether this visitor may read pages showing ``group`` (an /api/* group).

    The same rule as the API's: open without API_TOKEN; with it, open for the groups that
    API_PUBLIC_READS names, and for everything else only once signed in.
    """
    settings = resources(request).settings
    return not settings.api_token or group in settings.api_public_reads or signed_in(request)


def csrf_token(request: Request) -> str:
    """Return this browser's CSRF token (``remember_csrf`` sets the cookie on the response)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 32:
        token = request.scope.setdefault("grimoire.csrf", secrets.token_urlsafe(32))
    return token


def remember_csrf(request: Request, response: Response) -> None:
    """Set the CSRF cookie when this request made a new token."""
    token = request.scope.get("grimoire.csrf")
    if token:
        response.set_cookie(
            CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_https(request)
        )


def check_csrf(request: Request, form: dict[str, str]) -> None:
    """Raise ``CsrfRejected`` unless the form carries the cookie's token and comes from here."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD, "")
    if len(cookie) < 32 or not hmac.compare_digest(cookie.encode(), sent.encode()):
        raise CsrfRejected("the form's security token is missing or stale: reload the page")
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.url.netloc:
        raise CsrfRejected("the form was sent from another site")


def set_session(request: Request, response: Response) -> None:
    """Sign this browser in."""
    value = session_value(resources(request).settings, now=time.time())
    response.set_cookie(
        SESSION_COOKIE,
        value,
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="lax",
        secure=_https(request),
    )


def clear_session(response: Response) -> None:
    """Sign this browser out."""
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax")


def _https(request: Request) -> bool:
    return request.url.scheme == "https"
