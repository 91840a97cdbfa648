"""Server-rendered pages for people: the spellbook, what was found, what came in.

Each module serves one part; ``routes`` is the one list the app registers. Templates and the
stylesheet live beside this file, so they ship in the wheel. No page needs JavaScript.
"""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from grimoire.web.pages import activity, feedback, insights, signin, spellbook

_STATIC = Path(__file__).parent / "static"

routes: list[BaseRoute] = [
    Route("/", insights.overview, methods=["GET"], name="page_overview"),
    Route("/stats", insights.stats_page, methods=["GET"], name="page_stats"),
    Route("/signin", signin.sign_in_form, methods=["GET"], name="page_signin_form"),
    Route("/signin", signin.sign_in, methods=["POST"], name="page_signin"),
    Route("/signout", signin.sign_out, methods=["POST"], name="page_signout"),
    Route("/spells", spellbook.spell_list, methods=["GET"], name="page_spells"),
    Route("/spells/new", spellbook.spell_new_form, methods=["GET"], name="page_spell_new_form"),
    Route("/spells/new", spellbook.spell_new, methods=["POST"], name="page_spell_new"),
    Route("/spells/{spell_id:int}", spellbook.spell_view, methods=["GET"], name="page_spell"),
    Route("/spells/{spell_id:int}/try", spellbook.spell_try, methods=["POST"], name="page_try"),
    Route("/spells/{spell_id:int}/edit", spellbook.spell_edit_form, methods=["GET"]),
    Route("/spells/{spell_id:int}/edit", spellbook.spell_edit, methods=["POST"]),
    Route("/deliveries", activity.delivery_list, methods=["GET"], name="page_deliveries"),
    Route("/deliveries/{delivery_id:str}/retry", activity.delivery_retry, methods=["POST"]),
    Route("/analyses", activity.analysis_list, methods=["GET"], name="page_analyses"),
    Route("/analyses/{analysis_id:int}", activity.analysis_view, methods=["GET"]),
    Route(
        "/analyses/{analysis_id:int}/findings/{rank:int}/feedback",
        feedback.feedback_form,
        methods=["GET"],
    ),
    Route(
        "/analyses/{analysis_id:int}/findings/{rank:int}/feedback",
        feedback.feedback_vote,
        methods=["POST"],
    ),
    Mount("/static", StaticFiles(directory=_STATIC), name="page_static"),
]
