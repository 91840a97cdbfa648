"""Curating the spellbook: /api/spells/{id}/dry-run (what an edit would change, before it is
saved) and /api/stats (which spells fire, which never do, what nothing explains)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.dryrun import DryRun
from grimoire.dryruns import DRY_RUN_FINDINGS, dry_run_edit
from grimoire.resources import resources
from grimoire.spellindex import spell_record
from grimoire.storage import feedback, stats
from grimoire.storage import spells as storage
from grimoire.storage.tables import Spell
from grimoire.web.openapi import ApiRoute, Operation, Reply
from grimoire.web.responses import JSONResponse
from grimoire.web.schemas import ErrorBody, SpellIn
from grimoire.web.spells import read_spell


async def dry_run_spell(request: Request) -> Response:
    fields = await read_spell(request)
    spell_id = request.path_params["spell_id"]
    res = resources(request)
    async with res.readers() as session:
        await storage.get_spell(session, spell_id)  # 404 for a spell that does not exist
    book = await res.spell_index.current(res.readers)
    edited = spell_record(Spell(id=spell_id, **fields))
    return JSONResponse(await dry_run_edit(res.readers, book, edited))


class SpellStats(msgspec.Struct, frozen=True, kw_only=True):
    """How often a spell explained a finding, where, when last, and what readers said."""

    spell_id: int
    title: str
    hits_24h: int
    hits_7d: int
    hits_30d: int
    hits_total: int
    repositories: int
    last_seen: datetime
    helpful: int
    wrong: int


class SpellRef(msgspec.Struct, frozen=True):
    """A spell, by id and title."""

    id: int
    title: str


class UnmatchedOut(msgspec.Struct, frozen=True, kw_only=True):
    """An error no spell explains, and how often it was found: a candidate for a new spell."""

    error_type: str
    message: str
    count: int
    repositories: int
    last_seen: datetime


class StatsOut(msgspec.Struct, frozen=True, kw_only=True):
    """The spellbook's statistics; ``daily_hits`` counts explained findings on each of the last
    30 days, oldest first."""

    generated_at: datetime
    spells: list[SpellStats]
    never_fired: list[SpellRef]
    unmatched: list[UnmatchedOut]
    daily_hits: list[int]


async def get_stats(request: Request) -> Response:
    async with resources(request).readers() as session:
        found = await stats.statistics(session, now=datetime.now(UTC))
        votes = await feedback.votes_by_spell(session)
        body = StatsOut(
            generated_at=found.generated_at,
            spells=[
                SpellStats(
                    **dataclasses.asdict(hits),
                    **dataclasses.asdict(votes.get(hits.spell_id, feedback.Votes())),
                )
                for hits in found.spells
            ],
            never_fired=[SpellRef(spell.id, spell.title) for spell in found.never_fired],
            unmatched=[
                msgspec.convert(error, UnmatchedOut, from_attributes=True)
                for error in found.unmatched
            ],
            daily_hits=found.daily,
        )
    return JSONResponse(body)


routes = [
    ApiRoute(
        "/api/spells/{spell_id:int}/dry-run",
        name="spell_dry_run",
        operations={
            "POST": (
                dry_run_spell,
                Operation(
                    summary="Dry-run an edit: the stored findings it would gain and lose",
                    tag="spells",
                    description="Ranks the newest "
                    f"{DRY_RUN_FINDINGS} stored findings again with the spell as it is and as "
                    "the body would make it. `gained`: findings whose best spell would become "
                    "this one; `lost`: findings it would stop being the best spell for. Nothing "
                    "is saved.",
                    body=SpellIn,
                    responses={
                        200: Reply("What the edit would change.", DryRun),
                        404: Reply("No spell has this id.", ErrorBody),
                    },
                ),
            )
        },
    ),
    ApiRoute(
        "/api/stats",
        name="stats",
        operations={
            "GET": (
                get_stats,
                Operation(
                    summary="Spellbook statistics: hits per spell, spells that never fired, "
                    "errors no spell explains",
                    tag="stats",
                    description="Hits are diff findings a spell explained and failed CI jobs "
                    "whose root cause it explains best, counted at their analysis's time over "
                    "24 hours, 7 and 30 days; `helpful` and `wrong` are "
                    "readers' verdicts from the feedback pages. `unmatched` lists the 20 errors "
                    "found most often that no spell explains.",
                    responses={200: Reply("The statistics.", StatsOut)},
                ),
            )
        },
    ),
]
