"""Rendering pages: the Jinja2 templates shipped in this package, forms, and the error pages.

Every page handler is wrapped by ``page``, which answers a missing resource with an HTML 404, a
write without sign-in with a redirect to the sign-in page, and a forged form with a 403 — the
pages never answer with the API's JSON errors.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from grimoire.errors import InvalidPayload, NotFound, PayloadTooLarge, Unauthorized
from grimoire.web.bodies import read_body
from grimoire.web.pages import access

TEMPLATES = Path(__file__).parent / "templates"
FORM_LIMIT = 2 * 1024 * 1024
"""The largest form a page takes: a pasted log of up to about 2 MB."""

Handler = Callable[[Request], Awaitable[Response]]


@functools.cache
def templates() -> Jinja2Templates:
    """Return the page templates (built on first use, not at import)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["ago"] = ago
    return Jinja2Templates(env=env)


def render(
    request: Request, name: str, context: Mapping[str, Any], *, status_code: int = 200
) -> Response:
    """Render a template with what every page needs (sign-in state, CSRF token)."""
    full = {
        "can_write": access.can_write(request),
        "needs_sign_in": access.needs_sign_in(request),
        "signed_in": access.signed_in(request),
        "csrf": access.csrf_token(request),
        "path": request.url.path,
        **context,
    }
    response = templates().TemplateResponse(request, name, full, status_code=status_code)
    access.remember_csrf(request, response)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def page(group: str | None) -> Callable[[Handler], Handler]:
    """Wrap a page handler showing ``group`` (an /api/* group, or ``None`` for open pages):
    read access as the API has it, HTML error pages, sign-in redirects, CSRF refusals."""

    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def guarded(request: Request) -> Response:
            return await _guarded(handler, group, request)

        return guarded

    return decorate


async def _guarded(handler: Handler, group: str | None, request: Request) -> Response:
    try:
        if group is not None and not access.can_read(request, group):
            raise Unauthorized("sign in to read this page")
        return await handler(request)
    except NotFound as exc:
        return error_page(request, 404, "Not found", exc.detail)
    except Unauthorized:
        return sign_in_redirect(request)
    except access.CsrfRejected as exc:
        return error_page(request, 403, "Refused", str(exc))
    except InvalidPayload as exc:
        return error_page(request, 400, "Bad request", exc.detail)
    except PayloadTooLarge as exc:
        return error_page(request, 413, "Too large", exc.detail)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """Render an error for people."""
    return render(request, "error.html", {"title": title, "detail": detail}, status_code=status)


def sign_in_redirect(request: Request) -> Response:
    """Send the visitor to the sign-in page, coming back here afterwards."""
    back = request.url.path
    if request.method == "GET" and request.url.query:
        back += "?" + request.url.query
    return RedirectResponse("/signin?" + urlencode({"next": back}), status_code=303)


def require_write(request: Request) -> None:
    """Raise ``Unauthorized`` (a redirect to sign in) unless this visitor may write."""
    if not access.can_write(request):
        raise Unauthorized("sign in with the API token to change things")


async def read_form(request: Request) -> dict[str, str]:
    """Read a URL-encoded form (size-capped) and check its CSRF token; the last value wins."""
    body = await read_body(request, limit=FORM_LIMIT)
    try:
        fields = parse_qsl(
            body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=500
        )
    except ValueError as exc:  # too many fields
        raise InvalidPayload(str(exc)) from exc
    form = dict(fields)
    access.check_csrf(request, form)
    return form


def redirect(path: str) -> Response:
    """Answer a form with "see this page" (303), so reloading does not send it again."""
    return RedirectResponse(path, status_code=303)


def when(value: datetime | None) -> str:
    """Format a timestamp for people: ``2026-12-03 14:05 UTC``."""
    return "—" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def ago(value: datetime | None) -> str:
    """Say how long ago a timestamp was: ``5 min ago``, ``3 h ago``, ``2 d ago``."""
    if value is None:
        return "never"
    seconds = max(0, int((datetime.now(UTC) - value).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"
