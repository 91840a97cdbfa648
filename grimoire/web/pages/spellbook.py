"""The spellbook pages: the list with its search, and each spell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.dryrun import DryRun
from grimoire.resources import resources
from grimoire.spellindex import spell_record
from grimoire.storage import feedback, stats
from grimoire.storage import spells as storage
from grimoire.storage.feedback import Votes
from grimoire.storage.spells import SpellSearch
from grimoire.storage.tables import Spell
from grimoire.web.pages.charts import bar_chart
from grimoire.web.pages.rendering import page, read_form, redirect, render, require_write
from grimoire.web.pages.trying import (
    UNSAVED_ID,
    SpellForm,
    Trial,
    checked,
    dry_run_of,
    form_values,
    record_of,
    stored_values,
    try_text,
)

PAGE_SIZE = 25
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Pager:
    """Where one page of a list sits among all of them."""

    number: int
    size: int
    total: int

    @property
    def skip(self) -> int:
        return (self.number - 1) * self.size

    @property
    def last(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_shown(self) -> int:
        return min(self.total, self.skip + 1)

    @property
    def last_shown(self) -> int:
        return min(self.total, self.skip + self.size)


def page_number(request: Request) -> int:
    """Read ``?page=`` leniently: anything that is not a page number is page 1."""
    raw = request.query_params.get("page", "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1


def search_of(request: Request) -> SpellSearch:
    """Read the search form (the same fields as ``GET /api/spells``)."""
    params = request.query_params
    return SpellSearch(
        words=params.get("q", "")[:255] or None,
        error_type=params.get("error_type", "")[:255] or None,
        tag=params.get("tag", "")[:255] or None,
    )


@page("spells")
async def spell_list(request: Request) -> Response:
    """Show one page of the spellbook, searched, with each spell's hits."""
    search = search_of(request)
    number = page_number(request)
    async with resources(request).readers() as session:
        rows, total = await storage.list_spells(
            session, skip=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE, search=search
        )
        everything = await storage.count_spells(session) if search != SpellSearch() else total
        hits = await stats.hit_counts(session, (row.id for row in rows))
    return render(
        request,
        "spells.html",
        {
            "spells": rows,
            "hits": hits,
            "search": search,
            "searching": search != SpellSearch(),
            "pager": Pager(number, PAGE_SIZE, total),
            "spellbook_size": everything,
            "query": {k: v for k, v in request.query_params.items() if k != "page" and v},
        },
    )


@page("spells")
async def spell_view(request: Request) -> Response:
    """Show a spell with its hits, votes and the try-it form."""
    spell_id = request.path_params["spell_id"]
    spell, facts = await spell_facts(request, spell_id)
    return render(request, "spell.html", spell_context(spell, facts, text="", trial=None))


@page("spells")
async def spell_try(request: Request) -> Response:
    """Show a spell with what it finds in the pasted text."""
    form = await read_form(request)
    spell_id = request.path_params["spell_id"]
    spell, facts = await spell_facts(request, spell_id)
    text = form.get("text", "")
    trial = await try_text(request, text, spell_record(spell)) if text.strip() else None
    return render(request, "spell.html", spell_context(spell, facts, text=text, trial=trial))


async def spell_facts(request: Request, spell_id: int) -> tuple[Spell, dict[str, Any]]:
    """Return a spell and what the findings say about it: hits and readers' votes."""
    async with resources(request).readers() as session:
        spell = await storage.get_spell(session, spell_id)
        hits = (await stats.hit_counts(session, [spell_id])).get(spell_id, 0)
        votes = (await feedback.votes_by_spell(session, [spell_id])).get(spell_id, Votes())
        daily = await stats.daily_hits(session, now=datetime.now(UTC), spell_id=spell_id)
    return spell, {"hits": hits, "votes": votes, "chart": bar_chart(daily)}


def spell_context(
    spell: Spell, facts: dict[str, Any], *, text: str, trial: Trial | None
) -> dict[str, Any]:
    """Return what the spell page shows."""
    return {"title": spell.title, "spell": spell, "text": text, "trial": trial, **facts}


@page("spells")
async def spell_edit_form(request: Request) -> Response:
    """Show the form to edit a spell (signed in)."""
    require_write(request)
    async with resources(request).readers() as session:
        spell = await storage.get_spell(session, request.path_params["spell_id"])
    return render_form(request, SpellForm(stored_values(spell)), spell_id=spell.id)


@page("spells")
async def spell_new_form(request: Request) -> Response:
    """Show the form for a new spell (signed in)."""
    require_write(request)
    # The statistics page links here with an unexplained error to start from.
    start = {
        "error_type": request.query_params.get("error_type", "")[:100],
        "examples": request.query_params.get("example", "")[:10_000],
    }
    return render_form(request, SpellForm(form_values(start)), spell_id=None)


@page("spells")
async def spell_edit(request: Request) -> Response:
    """Save, try or dry-run an edit of a spell (signed in)."""
    require_write(request)
    spell_id = request.path_params["spell_id"]
    async with resources(request).readers() as session:
        await storage.get_spell(session, spell_id)
    return await handle_form(request, spell_id)


@page("spells")
async def spell_new(request: Request) -> Response:
    """Save or try a new spell (signed in)."""
    require_write(request)
    return await handle_form(request, None)


async def handle_form(request: Request, spell_id: int | None) -> Response:
    """Save, try or dry-run a spell form (``spell_id`` ``None``: a new spell)."""
    raw = await read_form(request)
    action = raw.get("action", "save")
    form, fields = checked(form_values(raw))
    text = raw.get("text", "")
    if fields is None:
        return render_form(request, form, spell_id=spell_id, text=text, status_code=422)
    if action == "save":
        return await save(request, spell_id, fields)
    edited = record_of(spell_id or UNSAVED_ID, fields)
    extra: dict[str, Any] = {}
    if action == "dry-run":
        extra["dry_run"] = await dry_run_of(request, edited)
    elif text.strip():
        extra["trial"] = await try_text(request, text, edited)
    return render_form(request, form, spell_id=spell_id, text=text, **extra)


async def save(request: Request, spell_id: int | None, fields: dict[str, Any]) -> Response:
    """Store the spell and show it."""
    now = datetime.now(UTC)
    async with resources(request).sessions.begin() as session:
        if spell_id is None:
            spell_id = (await storage.create_spell(session, fields, now=now)).id
        else:
            await storage.update_spell(session, spell_id, fields, now=now)
    resources(request).spell_index.note_write()  # the API's next read checks afresh
    return redirect(f"/spells/{spell_id}?saved=1")


def render_form(
    request: Request,
    form: SpellForm,
    *,
    spell_id: int | None,
    text: str = "",
    status_code: int = 200,
    trial: Trial | None = None,
    dry_run: DryRun | None = None,
) -> Response:
    """Render the spell form with what the last action found."""
    title = "New spell" if spell_id is None else f"Edit spell #{spell_id}"
    context = {
        "title": title,
        "form": form,
        "spell_id": spell_id,
        "text": text,
        "trial": trial,
        "dry_run": dry_run,
    }
    return render(request, "spell_form.html", context, status_code=status_code)
