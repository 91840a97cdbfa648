"""The spellbook pages: the list with its search, and each spell."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from grimoire.resources import resources
from grimoire.storage import spells as storage
from grimoire.storage import stats
from grimoire.storage.spells import SpellSearch
from grimoire.web.pages.rendering import page, render

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
