"""Signing in with the API token, and out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from grimoire.resources import resources
from grimoire.web.pages import access
from grimoire.web.pages.rendering import page, read_form, redirect, render


def local_path(target: str | None) -> str:
    """Return ``target`` if it is a path on this site, else ``/`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


@page(None)
async def sign_in_form(request: Request) -> Response:
    """Show the sign-in form."""
    return render(
        request,
        "signin.html",
        {"title": "Sign in", "next": local_path(request.query_params.get("next")), "wrong": False},
    )


@page(None)
async def sign_in(request: Request) -> Response:
    """Sign in with the API token, then go where the visitor was headed."""
    form = await read_form(request)
    target = local_path(form.get("next"))
    if not access.token_matches(resources(request).settings, form.get("token", "")):
        context = {"title": "Sign in", "next": target, "wrong": True}
        return render(request, "signin.html", context, status_code=401)
    response = redirect(target)
    access.set_session(request, response)
    return response


@page(None)
async def sign_out(request: Request) -> Response:
    """Sign out."""
    await read_form(request)
    response = redirect("/")
    access.clear_session(response)
    return response
