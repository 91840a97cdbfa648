"""``GitHubClient``: the few GitHub REST calls Grimoire makes, and how it makes them.

Reads: the diff between a pull request's base and one of its heads, its files list (the fallback
when GitHub will not render the diff)
and its comments. Writes: one sticky comment per pull request, and check runs with annotations.

How every call behaves:

- Transient failures (connection errors, timeouts, 500/502/503/504) are retried with exponential
  backoff and jitter (stamina), bounded in attempts and total time, then raise
  ``GitHubUnavailable``. A POST is retried only when it certainly never reached GitHub (it failed
  while connecting), so a retry cannot create a second comment or check run.
- Rate limits raise ``GitHubRateLimited`` at once with ``retry_at``: the job queue reschedules,
  this client never sleeps on a limit or retries into it.
- 401 with a GitHub App: the installation token is minted afresh and the request sent once more.
- Other refusals raise ``GitHubRejected`` (``DiffTooLarge`` for a diff GitHub will not render).
- Writes to one installation go one at a time, spaced apart (see ``pacing``).

The endpoints are here; how a request is authenticated, paced, retried and checked is in
``requester``, ``exchange`` and ``responses``.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from typing import Literal

import httpx
import msgspec

from grimoire.core.diff import FilePatch
from grimoire.errors import GitHubError, GitHubUnavailable
from grimoire.github.actions import (
    DEFAULT_MAX_LOG_BYTES,
    ActionsJob,
    CheckAnnotation,
    JobLog,
    JobsPage,
    PullRef,
)
from grimoire.github.auth import AppAuth, TokenAuth, utc_now
from grimoire.github.checks import Annotation, Conclusion, output_batches
from grimoire.github.exchange import RetryPolicy
from grimoire.github.hook_deliveries import HookDeliveries
from grimoire.github.pacing import DEFAULT_WRITE_SPACING
from grimoire.github.requester import DEFAULT_MAX_DIFF_BYTES, Requester, decode

DIFF_MEDIA_TYPE = "application/vnd.github.diff"
# https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files: at most 3000 files,
# 100 per page.
MAX_FILE_PAGES = 30
MAX_COMMENT_PAGES = 100
MAX_JOB_PAGES = 10
MAX_ANNOTATION_PAGES = 10

PROBE_MAX_AGE = timedelta(minutes=1)
"""How long /health reuses GitHub's last answer to its reachability probe."""

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_SHA = re.compile(r"[0-9a-fA-F]{4,64}")
_FILES = msgspec.json.Decoder(list[FilePatch])
_ANNOTATIONS = msgspec.json.Decoder(list[CheckAnnotation])
_PULLS = msgspec.json.Decoder(list[PullRef])


class Reachability(msgspec.Struct, frozen=True):
    """What /health reports about GitHub: whether it answered, and a line for humans."""

    reachable: bool
    detail: str


class _Comment(msgspec.Struct):
    id: int
    body: str | None = None


class _Created(msgspec.Struct):
    id: int


class _CheckRunRef(msgspec.Struct):
    id: int
    external_id: str | None = None


class _CheckRuns(msgspec.Struct):
    check_runs: list[_CheckRunRef]


class _Comparison(msgspec.Struct):
    files: list[FilePatch] = []


class _Ref(msgspec.Struct):
    sha: str


class _PullHead(msgspec.Struct):
    head: _Ref


class _RateLimit(msgspec.Struct):
    limit: int
    remaining: int


class _RateLimits(msgspec.Struct):
    rate: _RateLimit


class GitHubClient:
    """The GitHub REST API as Grimoire uses it, over an injected ``httpx.AsyncClient``.

    ``repository`` is always ``"owner/name"``. ``installation_id`` picks the GitHub App
    installation to act as (ignored with a plain token; optional when ``AppAuth`` has a default).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        auth: TokenAuth | AppAuth | None = None,
        retry: RetryPolicy = RetryPolicy(),  # noqa: B008 (frozen, so sharing it is safe)
        write_spacing: float = DEFAULT_WRITE_SPACING,
        max_diff_bytes: int = DEFAULT_MAX_DIFF_BYTES,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        self._api = Requester(
            http,
            auth=auth,
            retry=retry,
            write_spacing=write_spacing,
            max_diff_bytes=max_diff_bytes,
            now=now,
        )
        # The App's webhook delivery log (``grimoire reconcile``), authenticated as the App.
        self.hook_deliveries = HookDeliveries(self._api)
        self._now = now
        self._probe: tuple[datetime, Reachability] | None = None
        self._probe_lock = asyncio.Lock()

    # -- pull requests -----------------------------------------------------------------------

    async def pull_diff(
        self, repository: str, number: int, *, installation_id: int | None = None
    ) -> bytes:
        """Fetch the pull request's unified diff; raise ``DiffTooLarge`` if GitHub refuses it."""
        # https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request (diff media type)
        _, body = await self._api.request(
            "GET",
            f"{_repo_path(repository)}/pulls/{number}",
            installation_id=installation_id,
            accept=DIFF_MEDIA_TYPE,
            diff=True,
        )
        return body

    async def compare_diff(
        self, repository: str, base: str, head: str, *, installation_id: int | None = None
    ) -> bytes:
        """Fetch the unified diff of ``base...head``; raise ``DiffTooLarge`` if GitHub refuses it.

        Three dots: from the merge base of the two commits to ``head``, which is what a pull
        request's diff is, but for the head a delivery names rather than the one the pull
        request has now.
        """
        # https://docs.github.com/en/rest/commits/commits#compare-two-commits (diff media type)
        _, body = await self._api.request(
            "GET",
            f"{_repo_path(repository)}/compare/{_sha(base)}...{_sha(head)}",
            installation_id=installation_id,
            accept=DIFF_MEDIA_TYPE,
            diff=True,
        )
        return body

    async def compare_files(
        self, repository: str, base: str, head: str, *, installation_id: int | None = None
    ) -> list[FilePatch]:
        """List the files ``base...head`` changes, with their patches (GitHub lists at most 300)."""
        # https://docs.github.com/en/rest/commits/commits#compare-two-commits
        _, answer = await self._api.request(
            "GET",
            f"{_repo_path(repository)}/compare/{_sha(base)}...{_sha(head)}",
            installation_id=installation_id,
            params={"per_page": "1"},  # the commits are paginated, the files are not
        )
        return decode(answer, _Comparison, "a comparison of two commits").files

    async def pull_head(
        self, repository: str, number: int, *, installation_id: int | None = None
    ) -> str:
        """Return the commit the pull request's head is at now."""
        # https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
        _, answer = await self._api.request(
            "GET", f"{_repo_path(repository)}/pulls/{number}", installation_id=installation_id
        )
        return decode(answer, _PullHead, "a pull request").head.sha

    async def pull_files(
        self, repository: str, number: int, *, installation_id: int | None = None
    ) -> list[FilePatch]:
        """List the files the pull request changes, with their patches (at most 3000 files)."""
        # https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files
        files: list[FilePatch] = []
        pages = self._api.paginate(
            f"{_repo_path(repository)}/pulls/{number}/files",
            _FILES,
            installation_id=installation_id,
            max_pages=MAX_FILE_PAGES,
        )
        async with aclosing(pages):
            async for page in pages:
                files.extend(page)
        return files

    # -- the sticky comment ------------------------------------------------------------------

    async def find_comment(
        self, repository: str, number: int, *, marker: str, installation_id: int | None = None
    ) -> tuple[int, str] | None:
        """Return the id and body of the first comment on the PR that starts with ``marker``."""
        # https://docs.github.com/en/rest/issues/comments#list-issue-comments (oldest first)
        pages = self._api.paginate(
            f"{_repo_path(repository)}/issues/{number}/comments",
            msgspec.json.Decoder(list[_Comment]),
            installation_id=installation_id,
            max_pages=MAX_COMMENT_PAGES,
        )
        async with aclosing(pages):
            async for page in pages:
                for comment in page:
                    # Only at the start: a reply quoting our comment ("> <!-- …") or a
                    # comment mentioning the marker is someone else's and never edited.
                    if comment.body is not None and comment.body.startswith(marker):
                        return comment.id, comment.body
        return None

    async def create_comment(
        self, repository: str, number: int, body: str, *, installation_id: int | None = None
    ) -> int:
        """Comment on the pull request and return the new comment's id."""
        # https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
        _, answer = await self._api.request(
            "POST",
            f"{_repo_path(repository)}/issues/{number}/comments",
            installation_id=installation_id,
            json={"body": body},
        )
        return decode(answer, _Created, "the created comment").id

    async def update_comment(
        self, repository: str, comment_id: int, body: str, *, installation_id: int | None = None
    ) -> None:
        """Replace the body of an existing comment."""
        # https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
        await self._api.request(
            "PATCH",
            f"{_repo_path(repository)}/issues/comments/{comment_id}",
            installation_id=installation_id,
            json={"body": body},
        )

    # -- check runs --------------------------------------------------------------------------

    async def create_check_run(
        self,
        repository: str,
        *,
        head_sha: str,
        name: str,
        status: Literal["queued", "in_progress"] = "in_progress",
        details_url: str | None = None,
        external_id: str | None = None,
        installation_id: int | None = None,
    ) -> int:
        """Start a check run on ``head_sha`` and return its id (needs a GitHub App token)."""
        # https://docs.github.com/en/rest/checks/runs#create-a-check-run
        body: dict[str, object] = {"name": name, "head_sha": head_sha, "status": status}
        if status == "in_progress":
            body["started_at"] = _iso(self._now())
        if details_url is not None:
            body["details_url"] = details_url
        if external_id is not None:
            body["external_id"] = external_id
        _, answer = await self._api.request(
            "POST",
            f"{_repo_path(repository)}/check-runs",
            installation_id=installation_id,
            json=body,
        )
        return decode(answer, _Created, "the created check run").id

    async def find_check_run(
        self,
        repository: str,
        *,
        head_sha: str,
        name: str,
        external_id: str,
        installation_id: int | None = None,
    ) -> int | None:
        """Return the id of the check run on ``head_sha`` with this name and ``external_id``.

        For a retry after a create whose answer was lost: GitHub may have created the run.
        """
        # https://docs.github.com/en/rest/checks/runs#list-check-runs-for-a-git-reference
        _, answer = await self._api.request(
            "GET",
            f"{_repo_path(repository)}/commits/{head_sha}/check-runs",
            installation_id=installation_id,
            params={"check_name": name, "filter": "all", "per_page": "100"},
        )
        runs = decode(answer, _CheckRuns, "the check runs of a commit").check_runs
        return next((run.id for run in runs if run.external_id == external_id), None)

    async def complete_check_run(
        self,
        repository: str,
        check_run_id: int,
        *,
        conclusion: Conclusion,
        title: str,
        summary: str,
        text: str | None = None,
        annotations: Sequence[Annotation] = (),
        installation_id: int | None = None,
        on_sent: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """Complete the check run with its output; annotations go 50 per request.

        ``on_sent`` is awaited after each request with how many of ``annotations`` are on the
        run so far, so that a caller interrupted between requests can resume after the last.
        """
        # https://docs.github.com/en/rest/checks/runs#update-a-check-run
        path = f"{_repo_path(repository)}/check-runs/{check_run_id}"
        first, *rest = output_batches(
            title=title, summary=summary, text=text, annotations=annotations
        )
        completion = {
            "status": "completed",
            "conclusion": conclusion,
            "completed_at": _iso(self._now()),
            "output": first,
        }
        await self._api.request("PATCH", path, installation_id=installation_id, json=completion)
        sent = len(first.annotations)
        if on_sent is not None:
            await on_sent(sent)
        for output in rest:
            # Later updates append their annotations to the ones already on the check run.
            await self._api.request(
                "PATCH", path, installation_id=installation_id, json={"output": output}
            )
            sent += len(output.annotations)
            if on_sent is not None:
                await on_sent(sent)

    # -- CI: GitHub Actions jobs and logs, other apps' check runs ----------------------------

    async def run_jobs(
        self, repository: str, run_id: int, *, attempt: int, installation_id: int | None = None
    ) -> list[ActionsJob]:
        """List the jobs of a workflow run's attempt (``filter=latest``, then that attempt's).

        The latest attempt's jobs are what ``filter=latest`` lists; when a re-run has begun
        since, the jobs of ``attempt`` come from its own endpoint.
        """
        # https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run
        runs = f"{_repo_path(repository)}/actions/runs/{run_id}"
        jobs = await self._jobs(f"{runs}/jobs", {"filter": "latest"}, installation_id)
        if any(job.run_attempt != attempt for job in jobs):
            # https://docs.github.com/en/rest/actions/workflow-jobs#list-jobs-for-a-workflow-run-attempt
            jobs = await self._jobs(f"{runs}/attempts/{attempt}/jobs", {}, installation_id)
        return jobs

    async def _jobs(
        self, path: str, params: dict[str, str], installation_id: int | None
    ) -> list[ActionsJob]:
        jobs: list[ActionsJob] = []
        for page in range(1, MAX_JOB_PAGES + 1):
            query = {**params, "per_page": "100", "page": str(page)}
            _, answer = await self._api.request(
                "GET", path, installation_id=installation_id, params=query
            )
            listed = decode(answer, JobsPage, "the jobs of a workflow run")
            jobs.extend(listed.jobs)
            if len(listed.jobs) < 100 or len(jobs) >= listed.total_count:
                break
        return jobs

    async def job_log(
        self,
        repository: str,
        job_id: int,
        *,
        max_bytes: int = DEFAULT_MAX_LOG_BYTES,
        installation_id: int | None = None,
    ) -> JobLog:
        """Download the end of a job's log: at most ``max_bytes``, cut at a line start.

        GitHub answers 302 to a short-lived storage URL, followed here without the token. An
        expired log answers 410 and a missing job 404: both raise ``GitHubRejected``.
        """
        # https://docs.github.com/en/rest/actions/workflow-jobs#download-job-logs-for-a-workflow-run
        response, _ = await self._api.request(
            "GET",
            f"{_repo_path(repository)}/actions/jobs/{job_id}/logs",
            installation_id=installation_id,
            follow_redirects=False,
        )
        location = response.headers.get("location")
        if response.status_code == 200 or location is None:
            raise GitHubUnavailable(
                f"GitHub answered {response.status_code} without a log location for job {job_id}"
            )
        return await self._api.download(
            str(response.request.url.join(location)), max_bytes=max_bytes
        )

    async def check_run_annotations(
        self, repository: str, check_run_id: int, *, installation_id: int | None = None
    ) -> list[CheckAnnotation]:
        """List a check run's annotations (another CI app's findings, file and line)."""
        # https://docs.github.com/en/rest/checks/runs#list-check-run-annotations
        annotations: list[CheckAnnotation] = []
        pages = self._api.paginate(
            f"{_repo_path(repository)}/check-runs/{check_run_id}/annotations",
            _ANNOTATIONS,
            installation_id=installation_id,
            max_pages=MAX_ANNOTATION_PAGES,
        )
        async with aclosing(pages):
            async for page in pages:
                annotations.extend(page)
        return annotations

    async def commit_pulls(
        self, repository: str, sha: str, *, installation_id: int | None = None
    ) -> list[int]:
        """Return the numbers of the open pull requests whose head is ``sha``.

        A run from a fork has an empty ``pull_requests`` in its payload; this is where its pull
        request is found. https://docs.github.com/en/rest/commits/commits#list-pull-requests-associated-with-a-commit
        """
        _, answer = await self._api.request(
            "GET",
            f"{_repo_path(repository)}/commits/{sha}/pulls",
            installation_id=installation_id,
            params={"per_page": "100"},
        )
        pulls = decode(answer, _PULLS, "the pull requests of a commit")
        return sorted(pull.number for pull in pulls if pull.state == "open")

    # -- health ------------------------------------------------------------------------------

    async def check_reachable(self, *, within: float = 3.0) -> Reachability:
        """Ask GitHub for its rate limit status, quickly and once; never raises."""
        # https://docs.github.com/en/rest/rate-limit/rate-limit: answering does not count against
        # the primary rate limit. An App's JWT cannot call it, so an App asks anonymously.
        try:
            async with asyncio.timeout(within + 1.0):
                response, body = await self._api.probe("rate_limit", within=within)
        except (GitHubError, httpx.HTTPError, TimeoutError) as exc:
            return Reachability(False, f"GitHub API unreachable: {exc}")
        return _reachability(response, body)

    async def reachability(
        self, *, within: float = 3.0, max_age: timedelta = PROBE_MAX_AGE
    ) -> Reachability:
        """Return ``check_reachable``'s answer, asking GitHub at most once per ``max_age``.

        /health is polled by load balancers and monitors every few seconds; GitHub needs asking
        once a minute at most. Concurrent callers share one probe.
        """
        async with self._probe_lock:
            if self._probe is not None and self._now() - self._probe[0] < max_age:
                return self._probe[1]
            answer = await self.check_reachable(within=within)
            self._probe = (self._now(), answer)
            return answer


def _reachability(response: httpx.Response, body: bytes) -> Reachability:
    """Read the answer of GET /rate_limit into a health line."""
    status = response.status_code
    if status == 200:
        try:
            rate = msgspec.json.decode(body, type=_RateLimits).rate
        except msgspec.DecodeError:
            return Reachability(True, "reachable")
        return Reachability(True, f"reachable; {rate.remaining} of {rate.limit} requests left")
    if status == 404:
        # GitHub Enterprise Server answers 404 when its rate limiting is disabled.
        return Reachability(True, "reachable (rate limiting is disabled on this server)")
    if status == 401:
        return Reachability(True, "reachable, but GitHub rejected the token (401)")
    if status >= 500:
        return Reachability(False, f"GitHub API answered {status}")
    return Reachability(True, f"reachable (answered {status})")


def _repo_path(repository: str) -> str:
    """Return ``repos/{owner}/{name}``, refusing names that could escape the path."""
    owner, _, name = repository.partition("/")
    if not _REPOSITORY.fullmatch(repository) or owner in {".", ".."} or name in {".", ".."}:
        raise ValueError(f"a repository is 'owner/name', not {repository!r}")
    return f"repos/{owner}/{name}"


def _sha(sha: str) -> str:
    """Return a commit id, refusing anything else (it goes into a URL path)."""
    if not _SHA.fullmatch(sha):
        raise ValueError(f"a commit is named by its hex id, not {sha!r}")
    return sha


def _iso(moment: datetime) -> str:
    """Format a timestamp as GitHub wants it: ISO 8601 in UTC, ``YYYY-MM-DDTHH:MM:SSZ``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
