"""A fake GitHub REST API for tests: a Starlette app to serve on loopback with ``serve()``.

It plays the parts of GitHub that Grimoire uses, with GitHub's shapes and refusals:

- pull requests: the diff (``Accept: application/vnd.github.diff``), the JSON pull request, and
  the paginated files list; a "too large" diff answers 406 like GitHub; the comparison of a base
  with any head the pull request had (``compare/{base}...{head}``, diff or JSON with its files);
- issue comments: list (paginated, ``Link`` headers), create, get, update;
- check runs: create, get, update (annotations are appended, at most 50 per request);
- GitHub Actions: workflow runs, their jobs (``?filter=latest``, with steps) and each job's log,
  answered with a 302 to a ``LogStorage`` served on another port (which refuses a GitHub token),
  or 410 once the log has expired; a commit's pull requests (for runs from forks); the
  annotations of other apps' check runs;
- GitHub App auth: ``POST /app/installations/{id}/access_tokens`` verifies the RS256 app JWT and
  issues installation tokens that expire on the fake's clock;
- the App webhook's delivery log (app JWT): ``GET /app/hook/deliveries`` (newest first, ``cursor``
  pagination in ``Link``) and ``POST /app/hook/deliveries/{id}/attempts`` (a redelivery, listed
  as one more attempt with the same guid and ``redelivery: true``);
- ``/rate_limit``, ``/meta`` and ``/``.

Every request is recorded (``fake.requests``); credentials, the User-Agent and the API version are
checked; faults can be injected per route. Typical use::

    fake = FakeGitHub()
    token = fake.add_token()
    fake.add_pull("o/r", 1, diff=b"diff --git ...", files=[{"filename": "a.py", ...}])
    fake.fail("GET", "/repos/o/r/pulls/1", status=502, times=2)
    async with serve(fake) as url:
        ...
    assert fake.requests[0].headers["authorization"] == f"Bearer {token}"
"""

from __future__ import annotations

import asyncio
import fnmatch
import functools
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Any, Literal

import jwt
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SUPPORTED_API_VERSIONS = frozenset({"2022-11-28", "2026-03-10"})
MAX_FILES = 3000
MAX_COMPARE_FILES = 300  # a comparison's JSON lists at most 300 files
MAX_ANNOTATIONS = 50
MAX_TEXT = 65_535
MAX_COMMENT = 65_536
ANONYMOUS_PATHS = frozenset({"/", "/rate_limit", "/meta"})
DOCS = "https://docs.github.com/rest"
TOO_LARGE_MESSAGES = {
    "files": "Sorry, the diff exceeded the maximum number of files (300). Consider using "
    "'List pull requests files' API or locally cloning the repository instead.",
    "lines": "Sorry, the diff exceeded the maximum number of lines (20000). Consider using "
    "'List pull requests files' API or locally cloning the repository instead.",
}


def utc_now() -> datetime:
    """Return the real current time in UTC (the fake's default clock)."""
    return datetime.now(UTC)


class FakeClock:
    """A settable clock to inject into both the client and the fake: ``clock.advance(hours=1)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.value = start or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **delta: float) -> None:
        """Move the clock forward by ``timedelta(**delta)``."""
        self.value += timedelta(**delta)


@functools.cache
def app_key_pair() -> tuple[str, str]:
    """Return a (private, public) RSA PEM pair for a test GitHub App (made once per session)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@dataclass
class Recorded:
    """One request as the fake received it, and the status it answered."""

    method: str
    path: str  # below the fake's prefix, e.g. "/repos/o/r/pulls/1"
    full_path: str  # as sent, e.g. "/api/v3/repos/o/r/pulls/1"
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any
    started: float  # time.monotonic()
    finished: float = 0.0
    status: int = 0

    @property
    def token(self) -> str | None:
        """The credential of ``Authorization: Bearer <token>`` (or ``token <token>``)."""
        scheme, _, credential = self.headers.get("authorization", "").partition(" ")
        return credential if scheme.lower() in {"bearer", "token"} and credential else None


@dataclass
class Fault:
    """An injected answer (or delay) for requests matching ``method`` and the ``path`` pattern."""

    method: str
    path: str  # fnmatch pattern, below the prefix
    status: int | None
    body: Any
    headers: dict[str, str]
    delay: float
    times: int | None  # None: forever

    def matches(self, method: str, path: str) -> bool:
        """Tell whether this fault applies to the request."""
        return (self.method in {"*", method}) and fnmatch.fnmatchcase(path, self.path)


@dataclass
class IssuedToken:
    """An installation token the fake minted (or a plain token a test added)."""

    token: str
    installation_id: int | None
    expires_at: datetime | None
    revoked: bool = False


@dataclass
class Pull:
    """A registered pull request: its diff, its files and its head."""

    diff: bytes
    files: list[dict[str, Any]]
    head_sha: str
    too_large: Literal["files", "lines"] | None = None


@dataclass
class HookAttempt:
    """One attempt to deliver the App's webhook, as ``GET /app/hook/deliveries`` lists it."""

    id: int
    guid: str
    delivered_at: datetime
    status_code: int
    event: str = "pull_request"
    action: str | None = "opened"
    redelivery: bool = False
    asked: bool = False  # made by ``POST .../attempts`` (not registered by the test)

    def json(self) -> dict[str, Any]:
        """The list item GitHub answers (the fields Grimoire may read, and a few more)."""
        ok = 200 <= self.status_code < 300
        return {
            "id": self.id,
            "guid": self.guid,
            "delivered_at": _iso(self.delivered_at),
            "redelivery": self.redelivery,
            "duration": 0.27,
            "status": "OK" if ok else f"Invalid HTTP Response: {self.status_code}",
            "status_code": self.status_code,
            "event": self.event,
            "action": self.action,
            "installation_id": 7,
            "repository_id": 1296269,
            "throttled_at": None,
        }


@dataclass
class Comment:
    """An issue comment on a pull request."""

    id: int
    repository: str
    number: int
    body: str
    user: str


@dataclass
class CheckRun:
    """A check run with its latest output and every annotation it received, in order."""

    id: int
    repository: str
    name: str
    head_sha: str
    status: str
    conclusion: str | None
    details_url: str | None
    external_id: str | None
    started_at: str | None
    completed_at: str | None
    output: dict[str, Any] | None
    annotations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class WorkflowStep:
    """One step of a job, as the jobs API lists it."""

    number: int
    name: str
    conclusion: str | None = "success"
    started_at: str | None = None
    completed_at: str | None = None


@dataclass
class WorkflowJob:
    """A job of a workflow run, with its log (``expired``: GitHub answers 410 for it)."""

    id: int
    run_id: int
    run_attempt: int
    name: str
    conclusion: str | None
    steps: list[WorkflowStep]
    log: bytes
    repository: str
    expired: bool = False
    started_at: str | None = None
    completed_at: str | None = None


@dataclass
class WorkflowRun:
    """A workflow run at its latest attempt."""

    id: int
    repository: str
    name: str
    head_sha: str
    run_attempt: int
    workflow_id: int


class LogStorage:
    """The short-lived blob storage GitHub redirects job-log downloads to, on its own port.

    It serves each blob at ``/blobs/{key}?sig=…`` and records every request; a request that
    carries an ``Authorization`` header is refused (GitHub's token must never reach it).
    """

    def __init__(self) -> None:
        self.url = ""  # set once served: ``storage.url = await ...``
        self.blobs: dict[str, bytes] = {}
        self.requests: list[Recorded] = []
        self.chunk = 64 * 1024

    def put(self, data: bytes) -> str:
        """Store a blob and return its signed URL."""
        key = secrets.token_hex(8)
        self.blobs[key] = data
        return f"{self.url}/blobs/{key}?sig={secrets.token_hex(8)}&se=2099-01-01"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = Request(scope, receive)
        self.requests.append(_record(request, b"", ""))
        key = request.url.path.removeprefix("/blobs/")
        if "authorization" in request.headers:
            response: Response = Response(b"<Error>token sent to storage</Error>", 400)
        elif key not in self.blobs or "sig" not in request.query_params:
            response = Response(b"<Error>BlobNotFound</Error>", 404)
        else:
            response = _StreamedBlob(self.blobs[key], self.chunk)
        await response(scope, receive, send)


class _StreamedBlob(Response):
    """A blob sent in chunks, with its length (as Azure blob storage answers)."""

    def __init__(self, data: bytes, chunk: int) -> None:
        super().__init__(b"", media_type="text/plain; charset=utf-8")
        self.data = data
        self.chunk_size = chunk
        self.headers["content-length"] = str(len(data))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        for start in range(0, len(self.data), self.chunk_size):
            piece = self.data[start : start + self.chunk_size]
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class FakeGitHub:
    """GitHub's REST API, in memory; an ASGI app (``serve(fake)``) with a recorder and faults."""

    def __init__(
        self,
        *,
        prefix: str = "",
        now: Callable[[], datetime] = utc_now,
        token_lifetime: timedelta = timedelta(hours=1),
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.now = now
        self.token_lifetime = token_lifetime
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.tokens: dict[str, IssuedToken] = {}
        self.apps: dict[str, Any] = {}  # app id -> public key
        self.installations: set[int] = set()
        self.pulls: dict[tuple[str, int], Pull] = {}
        # (repository, head sha) -> the pull request as it was at that head: what compare serves.
        self.heads: dict[tuple[str, str], Pull] = {}
        self.comments: list[Comment] = []
        self.check_runs: dict[int, CheckRun] = {}
        self.runs: dict[int, WorkflowRun] = {}
        self.jobs: dict[int, WorkflowJob] = {}
        self.log_storage: LogStorage | None = None  # where job logs redirect to
        self.hook_attempts: list[HookAttempt] = []
        # The status the next redeliveries get (Grimoire's answer, as GitHub would record it).
        self.redelivery_status = 202
        self._ids = itertools.count(1001)
        self.app = Starlette(
            routes=[Mount(self.prefix, routes=self._routes())] if self.prefix else self._routes(),
            middleware=[Middleware(_Gate, fake=self)],
            exception_handlers={HTTPException: _http_error},
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    # -- what a test registers --------------------------------------------------------------

    def add_token(self, token: str | None = None, *, installation_id: int | None = None) -> str:
        """Accept ``token`` (a new ``ghp_`` one if None); with an installation id it may do
        what installation tokens may (create check runs)."""
        token = token or f"ghp_{secrets.token_hex(18)}"
        self.tokens[token] = IssuedToken(token, installation_id, None)
        return token

    def add_app(self, app_id: int | str, public_key_pem: str | None = None) -> str:
        """Register a GitHub App and return its private key PEM (the session's test key)."""
        private, public = app_key_pair()
        key = serialization.load_pem_public_key((public_key_pem or public).encode())
        self.apps[str(app_id)] = key
        return private

    def add_hook_attempt(
        self,
        guid: str,
        *,
        status_code: int,
        delivered_at: datetime | None = None,
        event: str = "pull_request",
        redelivery: bool = False,
    ) -> int:
        """Log an attempt to deliver the App's webhook and return its id."""
        attempt = HookAttempt(
            next(self._ids),
            guid,
            delivered_at or self.now(),
            status_code,
            event=event,
            redelivery=redelivery,
        )
        self.hook_attempts.append(attempt)
        return attempt.id

    def redeliveries(self) -> list[HookAttempt]:
        """The attempts made because the App asked for a redelivery, in order."""
        return [a for a in self.hook_attempts if a.asked]

    def add_installation(self, installation_id: int) -> None:
        """Let the registered App mint tokens for this installation."""
        self.installations.add(installation_id)

    def add_pull(
        self,
        repository: str,
        number: int,
        *,
        diff: bytes = b"",
        files: Iterable[Mapping[str, Any] | msgspec.Struct] = (),
        head_sha: str = "0" * 40,
        too_large: Literal["files", "lines"] | None = None,
    ) -> None:
        """Register a pull request at ``head_sha``; ``too_large`` makes its diff answer 406 like
        GitHub. Registering it again at another head is a push: the compare endpoint still serves
        every earlier head's diff, the pull request's own endpoints only the newest head's."""
        entries = [_file_entry(f) for f in files]
        pull = Pull(diff, entries, head_sha, too_large)
        self.pulls[(repository, number)] = pull
        self.heads[(repository, head_sha)] = pull

    def add_comment(self, repository: str, number: int, body: str, *, user: str = "someone") -> int:
        """Put an existing comment on a pull request and return its id."""
        comment = Comment(next(self._ids), repository, number, body, user)
        self.comments.append(comment)
        return comment.id

    def add_run(
        self,
        repository: str,
        run_id: int,
        *,
        head_sha: str,
        name: str = "CI",
        run_attempt: int = 1,
        workflow_id: int = 161335,
    ) -> WorkflowRun:
        """Register a workflow run (again with a higher ``run_attempt`` for a re-run)."""
        run = WorkflowRun(run_id, repository, name, head_sha, run_attempt, workflow_id)
        self.runs[run_id] = run
        return run

    def add_job(
        self,
        run: WorkflowRun,
        name: str,
        *,
        conclusion: str | None = "failure",
        log: bytes = b"",
        steps: Iterable[WorkflowStep] = (),
        expired: bool = False,
        job_id: int | None = None,
    ) -> WorkflowJob:
        """Add a job to the run's current attempt, with its log."""
        job = WorkflowJob(
            job_id or next(self._ids),
            run.id,
            run.run_attempt,
            name,
            conclusion,
            list(steps),
            log,
            run.repository,
            expired,
        )
        self.jobs[job.id] = job
        return job

    def add_foreign_check_run(
        self,
        repository: str,
        *,
        head_sha: str,
        name: str,
        annotations: Iterable[Mapping[str, Any]] = (),
        output: Mapping[str, Any] | None = None,
        conclusion: str = "failure",
    ) -> CheckRun:
        """Register another CI app's completed check run, with its output and annotations."""
        run = CheckRun(
            next(self._ids),
            repository,
            name,
            head_sha,
            "completed",
            conclusion,
            None,
            None,
            None,
            None,
            dict(output or {}),
            [dict(a) for a in annotations],
        )
        self.check_runs[run.id] = run
        return run

    # -- faults -----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int = 502,
        times: int | None = 1,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (``path`` may use ``*``)."""
        body = json if json is not None else _error_body(status)
        fault = Fault(method, path, status, body, dict(headers or {}), delay, times)
        self.faults.append(fault)

    def stall(self, method: str, path: str, *, seconds: float, times: int | None = 1) -> None:
        """Delay the next ``times`` matching requests by ``seconds``, then answer normally."""
        self.faults.append(Fault(method, path, None, None, {}, seconds, times))

    def rate_limit(
        self, method: str, path: str, *, reset: datetime, status: int = 403, times: int = 1
    ) -> None:
        """Answer like an exhausted primary rate limit that resets at ``reset``."""
        headers = {
            "x-ratelimit-limit": "5000",
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": "5000",
            "x-ratelimit-reset": str(int(reset.timestamp())),
            "x-ratelimit-resource": "core",
        }
        body = {
            "message": "API rate limit exceeded for installation.",
            "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api",
        }
        self.fail(method, path, status=status, json=body, headers=headers, times=times)

    def secondary_rate_limit(
        self,
        method: str,
        path: str,
        *,
        retry_after: int | None = 60,
        status: int = 403,
        times: int = 1,
    ) -> None:
        """Answer like a secondary rate limit (with ``retry-after`` unless it is None)."""
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        body = {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": f"{DOCS}/overview/rate-limits-for-the-rest-api"
            "#about-secondary-rate-limits",
        }
        self.fail(method, path, status=status, json=body, headers=headers, times=times)

    def revoke(self, token: str) -> None:
        """Make GitHub answer 401 Bad credentials to ``token`` from now on."""
        self.tokens[token].revoked = True

    # -- what a test inspects ---------------------------------------------------------------

    def requests_to(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests with this method and a path matching the pattern."""
        return [
            r for r in self.requests if r.method == method and fnmatch.fnmatchcase(r.path, path)
        ]

    def comments_on(self, repository: str, number: int) -> list[Comment]:
        """The comments on one pull request, oldest first."""
        return [c for c in self.comments if (c.repository, c.number) == (repository, number)]

    def issued(self, installation_id: int) -> list[IssuedToken]:
        """The tokens minted for an installation, oldest first."""
        return [t for t in self.tokens.values() if t.installation_id == installation_id]

    # -- the gate: faults and credentials ---------------------------------------------------

    async def fault_for(self, record: Recorded) -> Response | None:
        """Apply the first matching fault: sleep its delay, then answer if it has a status."""
        for fault in self.faults:
            if fault.times != 0 and fault.matches(record.method, record.path):
                if fault.times is not None:
                    fault.times -= 1
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is None:
                    return None
                return JSONResponse(fault.body, fault.status, headers=fault.headers)
        return None

    def refusal(self, record: Recorded) -> Response | None:
        """Refuse a request the way GitHub does: no User-Agent, bad version, bad credentials."""
        if not record.headers.get("user-agent"):
            return _error(
                403,
                "Request forbidden by administrative rules. Please make sure your "
                "request has a User-Agent header.",
            )
        version = record.headers.get("x-github-api-version")
        if version is not None and version not in SUPPORTED_API_VERSIONS:
            return _error(400, f"API version {version} is not supported.")
        if record.path.startswith("/app/"):
            return self._check_app_jwt(record.token)
        if record.token is None:
            return (
                None if record.path in ANONYMOUS_PATHS else _error(401, "Requires authentication")
            )
        issued = self.tokens.get(record.token)
        expired = (
            issued is not None and issued.expires_at is not None and issued.expires_at <= self.now()
        )
        if issued is None or issued.revoked or expired:
            return _error(401, "Bad credentials")
        return None

    def _check_app_jwt(self, token: str | None) -> Response | None:
        """Verify an app JWT as GitHub does: RS256 by a known App, exp at most 10 minutes out."""
        if token is None:
            return _error(401, "A JSON web token could not be decoded")
        try:
            issuer = str(jwt.decode(token, options={"verify_signature": False})["iss"])
            claims = jwt.decode(
                token,
                self.apps[issuer],
                algorithms=["RS256"],
                options={
                    "verify_exp": False,
                    "verify_iat": False,
                    "require": ["iat", "exp", "iss"],
                },
            )
        except (jwt.PyJWTError, KeyError):
            return _error(401, "A JSON web token could not be decoded")
        now = self.now().timestamp()
        if not now < claims["exp"] <= now + 600:
            return _error(
                401,
                "'Expiration time' claim ('exp') must be a numeric value "
                "representing the future time at which the assertion expires",
            )
        if claims["iat"] > now + 60:
            return _error(
                401,
                "'Issued at' claim ('iat') must be an Integer representing the "
                "time that the assertion was issued",
            )
        return None

    # -- routes -----------------------------------------------------------------------------

    def _routes(self) -> list[BaseRoute]:
        repo = "/repos/{owner}/{repo}"
        return [
            Route("/", self._root),
            Route("/rate_limit", self._rate_limit),
            Route("/meta", self._meta),
            Route(
                "/app/installations/{installation_id:int}/access_tokens",
                self._mint,
                methods=["POST"],
            ),
            Route("/app/hook/deliveries", self._hook_deliveries),
            Route(
                "/app/hook/deliveries/{delivery_id:int}/attempts",
                self._redeliver,
                methods=["POST"],
            ),
            Route(repo + "/pulls/{number:int}", self._pull),
            Route(repo + "/pulls/{number:int}/files", self._pull_files),
            Route(repo + "/compare/{basehead}", self._compare),
            Route(repo + "/issues/{number:int}/comments", self._list_comments),
            Route(repo + "/issues/{number:int}/comments", self._create_comment, methods=["POST"]),
            Route(
                repo + "/issues/comments/{comment_id:int}", self._comment, methods=["GET", "PATCH"]
            ),
            Route(repo + "/check-runs", self._create_check_run, methods=["POST"]),
            Route(
                repo + "/check-runs/{check_run_id:int}", self._check_run, methods=["GET", "PATCH"]
            ),
            Route(repo + "/check-runs/{check_run_id:int}/annotations", self._annotations),
            Route(repo + "/commits/{ref}/check-runs", self._check_runs_for_ref),
            Route(repo + "/commits/{sha}/pulls", self._commit_pulls),
            Route(repo + "/actions/runs/{run_id:int}/jobs", self._run_jobs),
            Route(repo + "/actions/runs/{run_id:int}/attempts/{attempt:int}/jobs", self._run_jobs),
            Route(repo + "/actions/jobs/{job_id:int}/logs", self._job_log),
        ]

    async def _root(self, request: Request) -> Response:
        return JSONResponse({"rate_limit_url": str(request.url).rstrip("/") + "/rate_limit"})

    async def _rate_limit(self, request: Request) -> Response:
        reset = int((self.now() + timedelta(hours=1)).timestamp())
        rate = {"limit": 5000, "used": 1, "remaining": 4999, "reset": reset, "resource": "core"}
        return JSONResponse({"resources": {"core": rate}, "rate": rate})

    async def _meta(self, request: Request) -> Response:
        return JSONResponse({"verifiable_password_authentication": False})

    async def _mint(self, request: Request) -> Response:
        installation_id = request.path_params["installation_id"]
        if installation_id not in self.installations:
            return _error(404, "Not Found")
        expires_at = self.now() + self.token_lifetime
        token = IssuedToken(f"ghs_{secrets.token_hex(18)}", installation_id, expires_at)
        self.tokens[token.token] = token
        body = {
            "token": token.token,
            "expires_at": _iso(expires_at),
            "permissions": {"checks": "write", "issues": "write", "pull_requests": "read"},
            "repository_selection": "all",
        }
        return JSONResponse(body, 201)

    async def _hook_deliveries(self, request: Request) -> Response:
        # https://docs.github.com/en/rest/apps/webhooks#list-deliveries-for-an-app-webhook
        try:
            per_page = min(max(int(request.query_params.get("per_page", 30)), 1), 100)
        except ValueError:
            return _error(422, "Validation Failed")
        ordered = sorted(self.hook_attempts, key=lambda a: (a.delivered_at, a.id), reverse=True)
        cursor = request.query_params.get("cursor")
        if cursor is not None:
            ids = [f"v1_{a.id}" for a in ordered]
            if cursor not in ids:
                return _error(422, "Validation Failed")
            ordered = ordered[ids.index(cursor) + 1 :]
        page = ordered[:per_page]
        headers = {}
        if len(ordered) > per_page:
            url = request.url.include_query_params(per_page=per_page, cursor=f"v1_{page[-1].id}")
            headers["link"] = f'<{url}>; rel="next"'
        return JSONResponse([a.json() for a in page], headers=headers)

    async def _redeliver(self, request: Request) -> Response:
        # https://docs.github.com/en/rest/apps/webhooks#redeliver-a-delivery-for-an-app-webhook
        delivery_id = request.path_params["delivery_id"]
        original = next((a for a in self.hook_attempts if a.id == delivery_id), None)
        if original is None:
            return _error(404, "Not Found")
        self.add_hook_attempt(
            original.guid,
            status_code=self.redelivery_status,
            event=original.event,
            redelivery=True,
        )
        self.hook_attempts[-1].asked = True
        return JSONResponse({}, 202)

    def _find_pull(self, request: Request) -> Pull:
        key = (_repository(request), request.path_params["number"])
        if key not in self.pulls:
            raise HTTPException(404)
        return self.pulls[key]

    async def _pull(self, request: Request) -> Response:
        pull = self._find_pull(request)
        if "diff" not in request.headers.get("accept", ""):
            number = request.path_params["number"]
            head = {"sha": pull.head_sha, "ref": f"topic-{number}"}
            body = {
                "number": number,
                "state": "open",
                "head": head,
                "changed_files": len(pull.files),
            }
            return JSONResponse(body)
        if pull.too_large is not None:
            error = {"resource": "PullRequest", "field": "diff", "code": "too_large"}
            body = {
                "message": TOO_LARGE_MESSAGES[pull.too_large],
                "errors": [error],
                "documentation_url": f"{DOCS}/pulls/pulls#list-pull-requests-files",
                "status": "406",
            }
            return JSONResponse(body, 406)
        return Response(pull.diff, media_type="text/plain; charset=utf-8")

    async def _compare(self, request: Request) -> Response:
        # https://docs.github.com/en/rest/commits/commits#compare-two-commits: "base...head";
        # the base is not checked (each head has one diff here).
        base, dots, head = request.path_params["basehead"].partition("...")
        pull = self.heads.get((_repository(request), head))
        if not dots or not base or pull is None:
            return _error(404, "Not Found")
        if "diff" not in request.headers.get("accept", ""):
            return JSONResponse({"status": "ahead", "files": pull.files[:MAX_COMPARE_FILES]})
        if pull.too_large is not None:
            error = {"resource": "Comparison", "field": "diff", "code": "too_large"}
            body = {
                "message": TOO_LARGE_MESSAGES[pull.too_large],
                "errors": [error],
                "documentation_url": f"{DOCS}/commits/commits#compare-two-commits",
                "status": "406",
            }
            return JSONResponse(body, 406)
        return Response(pull.diff, media_type="text/plain; charset=utf-8")

    async def _pull_files(self, request: Request) -> Response:
        return _page(request, self._find_pull(request).files[:MAX_FILES])

    async def _list_comments(self, request: Request) -> Response:
        number = request.path_params["number"]
        comments = [_comment_json(c) for c in self.comments_on(_repository(request), number)]
        return _page(request, comments)

    async def _create_comment(self, request: Request) -> Response:
        body = await _json(request)
        if problem := _comment_problem(body):
            return problem
        number = request.path_params["number"]
        comment_id = self.add_comment(
            _repository(request), number, body["body"], user="grimoire[bot]"
        )
        return JSONResponse(
            _comment_json(self.comments[-1]),
            201,
            headers={"location": f"{request.url}/{comment_id}"},
        )

    async def _comment(self, request: Request) -> Response:
        comment_id = request.path_params["comment_id"]
        comment = next((c for c in self.comments if c.id == comment_id), None)
        if comment is None or comment.repository != _repository(request):
            raise HTTPException(404)
        if request.method == "PATCH":
            body = await _json(request)
            if problem := _comment_problem(body):
                return problem
            comment.body = body["body"]
        return JSONResponse(_comment_json(comment))

    async def _create_check_run(self, request: Request) -> Response:
        if (denied := self._checks_denied(request)) is not None:
            return denied
        body = await _json(request)
        if not isinstance(body.get("name"), str) or not isinstance(body.get("head_sha"), str):
            return _invalid("name and head_sha are required")
        run = CheckRun(
            next(self._ids),
            _repository(request),
            body["name"],
            body["head_sha"],
            "queued",
            None,
            None,
            None,
            None,
            None,
            None,
        )
        if (problem := _apply_check_update(run, body)) is not None:
            return problem
        self.check_runs[run.id] = run
        return JSONResponse(_check_run_json(run), 201)

    async def _check_run(self, request: Request) -> Response:
        if (denied := self._checks_denied(request)) is not None:
            return denied
        run = self.check_runs.get(request.path_params["check_run_id"])
        if run is None or run.repository != _repository(request):
            raise HTTPException(404)
        if (
            request.method == "PATCH"
            and (problem := _apply_check_update(run, await _json(request))) is not None
        ):
            return problem
        return JSONResponse(_check_run_json(run))

    async def _check_runs_for_ref(self, request: Request) -> Response:
        """List a commit's check runs, newest first (``check_name``, ``filter``, one page)."""
        # https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
        query = request.query_params
        runs = [
            run
            for run in self.check_runs.values()
            if run.repository == _repository(request)
            and run.head_sha == request.path_params["ref"]
            and query.get("check_name", run.name) == run.name
        ]
        runs.sort(key=lambda run: run.id, reverse=True)
        if query.get("filter", "latest") == "latest":
            runs = [run for i, run in enumerate(runs) if run.name not in {r.name for r in runs[:i]}]
        per_page = min(int(query.get("per_page", 30)), 100)
        return JSONResponse(
            {"total_count": len(runs), "check_runs": [_check_run_json(r) for r in runs[:per_page]]}
        )

    async def _annotations(self, request: Request) -> Response:
        run = self.check_runs.get(request.path_params["check_run_id"])
        if run is None:
            raise HTTPException(404)
        return _page(request, run.annotations)

    def _checks_denied(self, request: Request) -> Response | None:
        """Check runs need an installation token: https://docs.github.com/en/rest/checks/runs."""
        token = request.headers.get("authorization", "").partition(" ")[2]
        issued = self.tokens.get(token)
        if request.method != "GET" and (issued is None or issued.installation_id is None):
            return _error(403, "You must authenticate via a GitHub App.")
        return None

    # -- GitHub Actions ---------------------------------------------------------------------

    async def _run_jobs(self, request: Request) -> Response:
        """List a run's jobs: the latest attempt's (``filter=latest``) or one attempt's."""
        # https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run
        run = self.runs.get(request.path_params["run_id"])
        if run is None or run.repository != _repository(request):
            raise HTTPException(404)
        attempt = request.path_params.get("attempt")
        if attempt is None and request.query_params.get("filter", "latest") == "latest":
            attempt = run.run_attempt
        jobs = [
            _job_json(job, request)
            for job in self.jobs.values()
            if job.run_id == run.id and attempt in {None, job.run_attempt}
        ]
        page = _page(request, jobs)
        listed = json.loads(bytes(page.body))
        link = {"link": page.headers["link"]} if "link" in page.headers else {}
        return JSONResponse({"total_count": len(jobs), "jobs": listed}, headers=link)

    async def _job_log(self, request: Request) -> Response:
        """Answer 302 to the log's storage URL, or 410 once the log has expired."""
        # https://docs.github.com/en/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run
        job = self.jobs.get(request.path_params["job_id"])
        if job is None or job.repository != _repository(request):
            raise HTTPException(404)
        if job.expired:
            return _error(410, "Gone")
        assert self.log_storage is not None, "serve a LogStorage and set fake.log_storage"
        return Response(status_code=302, headers={"location": self.log_storage.put(job.log)})

    async def _commit_pulls(self, request: Request) -> Response:
        """List the pull requests whose head is this commit (forks' included)."""
        # https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit
        repository, sha = _repository(request), request.path_params["sha"]
        pulls = [
            {
                "number": number,
                "state": "open",
                "head": {"sha": pull.head_sha, "ref": f"topic-{number}"},
                "base": {"ref": "main"},
            }
            for (repo, number), pull in sorted(self.pulls.items())
            if repo == repository and pull.head_sha == sha
        ]
        return _page(request, pulls)


def _job_json(job: WorkflowJob, request: Request) -> dict[str, Any]:
    base = f"https://github.com/{job.repository}/actions/runs/{job.run_id}"
    return {
        "id": job.id,
        "run_id": job.run_id,
        "run_attempt": job.run_attempt,
        "name": job.name,
        "status": "completed",
        "conclusion": job.conclusion,
        "html_url": f"{base}/job/{job.id}",
        "started_at": job.started_at,
        "completed_at": job.completed_at,
        "steps": [
            {
                "name": step.name,
                "number": step.number,
                "status": "completed",
                "conclusion": step.conclusion,
                "started_at": step.started_at,
                "completed_at": step.completed_at,
            }
            for step in job.steps
        ],
    }


class _Gate:
    """ASGI middleware: record each request, apply faults, then check credentials."""

    def __init__(self, app: ASGIApp, fake: FakeGitHub) -> None:
        self.app = app
        self.fake = fake

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        record = _record(request, body, self.fake.prefix)
        self.fake.requests.append(record)

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        held: list[Message] = []

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = message["status"]
                if record.method == "GET" and record.status == 200 and _is_json(message):
                    held.append(message)  # answered once the body is known (its ETag)
                    return
            elif held:
                held.append(message)
                if not message.get("more_body", False):
                    await _send_conditional(record, held, send)
                return
            await send(message)

        early = await self.fake.fault_for(record) or self.fake.refusal(record)
        if early is not None:
            await early(scope, replay, recording_send)
        else:
            await self.app(scope, replay, recording_send)
        record.finished = time.monotonic()


def _is_json(start: Message) -> bool:
    """Whether a response is JSON (diffs and logs stream through untouched)."""
    types = [v for k, v in start.get("headers", []) if k.lower() == b"content-type"]
    return bool(types) and types[0].startswith(b"application/json")


async def _send_conditional(record: Recorded, held: list[Message], send: Send) -> None:
    """Send a GET's 200 with an ETag, or 304 with no body when ``If-None-Match`` names it.

    Like GitHub: https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate
    """
    start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
    etag = '"' + hashlib.sha256(body).hexdigest()[:40] + '"'
    if record.headers.get("if-none-match") == etag:
        record.status = 304
        headers = [(b"etag", etag.encode())]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    headers = [*start.get("headers", []), (b"etag", etag.encode())]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _record(request: Request, body: bytes, prefix: str) -> Recorded:
    """Capture a request; ``path`` is relative to the fake's prefix."""
    full_path = request.url.path
    path = full_path[len(prefix) :] if prefix and full_path.startswith(prefix) else full_path
    try:
        decoded = json.loads(body) if body else None
    except ValueError:
        decoded = None
    return Recorded(
        method=request.method,
        path=path or "/",
        full_path=full_path,
        query=dict(request.query_params),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        json=decoded,
        started=time.monotonic(),
    )


def _page(request: Request, items: list[dict[str, Any]]) -> Response:
    """Answer one page of ``items`` with GitHub's ``Link`` header (per_page ≤ 100)."""
    # https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api
    try:
        per_page = min(max(int(request.query_params.get("per_page", 30)), 1), 100)
        page = max(int(request.query_params.get("page", 1)), 1)
    except ValueError:
        return _error(422, "Validation Failed")
    last = max((len(items) + per_page - 1) // per_page, 1)
    links = []
    for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last), ("first", 1)):
        if (rel in {"prev", "first"} and page > 1) or (rel in {"next", "last"} and page < last):
            url = request.url.include_query_params(page=number, per_page=per_page)
            links.append(f'<{url}>; rel="{rel}"')
    headers = {"link": ", ".join(links)} if links else {}
    return JSONResponse(items[(page - 1) * per_page : page * per_page], headers=headers)


def _apply_check_update(run: CheckRun, body: Any) -> Response | None:
    """Apply a create/update body to a check run, validating it as GitHub does."""
    if not isinstance(body, dict):
        return _invalid("the body must be a JSON object")
    if "conclusion" in body:
        body = {**body, "status": "completed"}  # GitHub: a conclusion completes the run
    if body.get("status") == "completed" and not (body.get("conclusion") or run.conclusion):
        return _invalid("conclusion is required when status is completed")
    if (output := body.get("output")) is not None and (problem := _output_problem(output)):
        return problem
    for name in (
        "status",
        "conclusion",
        "details_url",
        "external_id",
        "started_at",
        "completed_at",
    ):
        if name in body:
            setattr(run, name, body[name])
    if output is not None:
        run.output = {k: output.get(k) for k in ("title", "summary", "text")}
        run.annotations.extend(output.get("annotations", []))
    return None


def _output_problem(output: Any) -> Response | None:
    """Validate a check run ``output`` object against GitHub's documented limits."""
    if not isinstance(output, dict) or not output.get("title") or not output.get("summary"):
        return _invalid("output needs a title and a summary")
    for name in ("summary", "text"):
        if len(output.get(name) or "") > MAX_TEXT:
            return _invalid(f"output.{name} is longer than {MAX_TEXT} characters")
    annotations = output.get("annotations", [])
    if len(annotations) > MAX_ANNOTATIONS:
        return _invalid(f"at most {MAX_ANNOTATIONS} annotations per request")
    required = {"path", "start_line", "end_line", "annotation_level", "message"}
    for item in annotations:
        if not required <= item.keys() or item["annotation_level"] not in {
            "notice",
            "warning",
            "failure",
        }:
            return _invalid(f"invalid annotation {item!r}")
        if len(item["message"].encode()) > 64 * 1024:
            return _invalid("an annotation message is larger than 64 KB")
    return None


def _check_run_json(run: CheckRun) -> dict[str, Any]:
    output = dict(run.output or {"title": None, "summary": None, "text": None})
    output["annotations_count"] = len(run.annotations)
    return {
        "id": run.id,
        "name": run.name,
        "head_sha": run.head_sha,
        "status": run.status,
        "conclusion": run.conclusion,
        "details_url": run.details_url,
        "external_id": run.external_id,
        "started_at": run.started_at,
        "completed_at": run.completed_at,
        "output": output,
    }


def _comment_json(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.id,
        "body": comment.body,
        "user": {"login": comment.user, "type": "Bot" if "[bot]" in comment.user else "User"},
        "html_url": f"https://github.com/{comment.repository}/pull/{comment.number}"
        f"#issuecomment-{comment.id}",
    }


def _comment_problem(body: Any) -> Response | None:
    if not isinstance(body, dict) or not isinstance(body.get("body"), str):
        return _invalid("body is required")
    if len(body["body"]) > MAX_COMMENT:
        return _invalid(f"body is too long (maximum is {MAX_COMMENT} characters)")
    return None


def _file_entry(item: Mapping[str, Any] | msgspec.Struct) -> dict[str, Any]:
    """Complete a files-list entry with the fields GitHub always sends."""
    entry = dict(msgspec.to_builtins(item) if isinstance(item, msgspec.Struct) else item)
    entry = {k: v for k, v in entry.items() if v is not None}
    entry.setdefault("status", "modified")
    entry.setdefault("additions", 0)
    entry.setdefault("deletions", 0)
    entry.setdefault("changes", entry["additions"] + entry["deletions"])
    entry.setdefault("sha", secrets.token_hex(20))
    return entry


async def _json(request: Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise HTTPException(400, "Problems parsing JSON") from None


def _repository(request: Request) -> str:
    return f"{request.path_params['owner']}/{request.path_params['repo']}"


def _error_body(status: int) -> dict[str, str]:
    message = {401: "Bad credentials", 404: "Not Found", 502: "Server Error"}.get(
        status, HTTPStatus(status).phrase
    )
    return {"message": message, "documentation_url": DOCS, "status": str(status)}


def _error(status: int, message: str) -> Response:
    return JSONResponse(
        {"message": message, "documentation_url": DOCS, "status": str(status)}, status
    )


def _invalid(reason: str) -> Response:
    body = {
        "message": "Validation Failed",
        "errors": [reason],
        "documentation_url": DOCS,
        "status": "422",
    }
    return JSONResponse(body, 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if exc.status_code != 404 else "Not Found"
    return _error(exc.status_code, message)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
