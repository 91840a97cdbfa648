"""/api/spells/{id}/dry-run: what an edit would change, before it is saved."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from grimoire.core.dryrun import DryRun
from grimoire.dryruns import DRY_RUN_FINDINGS, dry_run_edit
from grimoire.resources import resources
from grimoire.spellindex import spell_record
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
]
