"""CI deliveries as values: a completed GitHub Actions run, or another CI app's check run.

``decode_ci_run`` reads the few fields the CI source uses from ``workflow_run`` and ``check_run``
payloads; ``ci_intent`` says what a completed run asks of Grimoire:

- ``analyse``: a workflow run that ended in ``failure`` or ``timed_out``, or another CI app's
  check run that ended in ``failure`` or ``timed_out``;
- ``resolve``: one that succeeded (it marks earlier failures of the same workflow on its head
  resolved, when there are any: intake asks the database);
- ``ignore``: any other conclusion, an action other than ``completed``, GitHub Actions' own
  check runs (their workflow run is what is analysed) and Grimoire's own check runs.

https://docs.github.com/en/webhooks/webhook-events-and-payloads#workflow_run
https://docs.github.com/en/webhooks/webhook-events-and-payloads#check_run
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from grimoire.errors import InvalidPayload

CI_EVENTS = frozenset({"workflow_run", "check_run"})
FAILED_CONCLUSIONS = frozenset({"failure", "timed_out"})
ACTIONS_APP_SLUG = "github-actions"
"""Check runs of GitHub Actions jobs: each belongs to a workflow run, read through the jobs API."""

Intent = Literal["analyse", "resolve", "ignore"]
RunSource = Literal["workflow_run", "check_run"]

_Name = Annotated[str, msgspec.Meta(max_length=255)]
_Id = Annotated[int, msgspec.Meta(ge=1, le=2**63 - 1)]


class _Repository(msgspec.Struct, frozen=True):
    full_name: _Name
    default_branch: str | None = None


class _Installation(msgspec.Struct, frozen=True):
    id: _Id


class _PullHead(msgspec.Struct, frozen=True):
    sha: str | None = None


class _PullRef(msgspec.Struct, frozen=True):
    number: _Id
    head: _PullHead | None = None


class _WorkflowRun(msgspec.Struct, frozen=True):
    id: _Id
    head_sha: str
    name: str | None = None
    conclusion: str | None = None
    head_branch: str | None = None
    event: str | None = None
    run_attempt: int = 1
    workflow_id: int | None = None
    html_url: str | None = None
    pull_requests: list[_PullRef] = msgspec.field(default_factory=list)


class _App(msgspec.Struct, frozen=True):
    id: int | None = None
    slug: str | None = None
    name: str | None = None


class _Output(msgspec.Struct, frozen=True):
    title: str | None = None
    summary: str | None = None
    text: str | None = None


class _Suite(msgspec.Struct, frozen=True):
    head_branch: str | None = None


class _CheckRun(msgspec.Struct, frozen=True):
    id: _Id
    head_sha: str
    name: str = ""
    conclusion: str | None = None
    html_url: str | None = None
    details_url: str | None = None
    app: _App | None = None
    output: _Output | None = None
    check_suite: _Suite | None = None
    pull_requests: list[_PullRef] = msgspec.field(default_factory=list)


class _WorkflowRunEvent(msgspec.Struct, frozen=True):
    action: str
    workflow_run: _WorkflowRun
    repository: _Repository
    installation: _Installation | None = None


class _CheckRunEvent(msgspec.Struct, frozen=True):
    action: str
    check_run: _CheckRun
    repository: _Repository
    installation: _Installation | None = None


class CiRun(msgspec.Struct, frozen=True, kw_only=True):
    """A completed CI run: which one, on which head and branch, for which pull requests.

    ``workflow`` names what a later success must match to resolve this run's failures: the
    workflow's id for GitHub Actions, the app and check name for another CI app.
    ``pull_requests`` lists those of this repository whose head is the run's head (empty for runs
    from forks: the commit's pull requests are asked for then).
    """

    source: RunSource
    action: str
    repository: str
    default_branch: str | None
    installation_id: int | None
    run_id: int
    run_attempt: int
    name: str
    workflow: str
    head_sha: str
    head_branch: str | None
    trigger: str | None
    conclusion: str | None
    url: str | None
    pull_requests: tuple[int, ...]
    app_id: int | None = None
    app_slug: str | None = None
    title: str | None = None
    summary: str | None = None
    text: str | None = None

    @property
    def on_default_branch(self) -> bool:
        """Tell whether the run is of a push to the repository's default branch."""
        return (
            self.trigger == "push"
            and self.head_branch is not None
            and self.head_branch == self.default_branch
        )


_workflow_run = msgspec.json.Decoder(_WorkflowRunEvent)
_check_run = msgspec.json.Decoder(_CheckRunEvent)


def decode_ci_run(event: str, body: bytes) -> CiRun:
    """Decode a ``workflow_run`` or ``check_run`` body; raise ``InvalidPayload`` if unusable."""
    try:
        if event == "workflow_run":
            return _from_workflow_run(_workflow_run.decode(body))
        if event == "check_run":
            return _from_check_run(_check_run.decode(body))
    except msgspec.ValidationError as exc:
        raise InvalidPayload(f"the {event} payload lacks what Grimoire needs: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidPayload(f"the body is not valid JSON: {exc}") from exc
    raise InvalidPayload(f"{event} is not a CI event")


def ci_intent(run: CiRun, *, own_app_id: int | None, own_check_name: str) -> Intent:
    """Say what a CI delivery asks for: analyse a failure, resolve on success, or nothing."""
    if run.action != "completed":
        return "ignore"
    if run.source == "check_run" and (
        run.app_slug == ACTIONS_APP_SLUG
        or (own_app_id is not None and run.app_id == own_app_id)
        or run.name.startswith(own_check_name)
    ):
        return "ignore"
    if run.conclusion in FAILED_CONCLUSIONS:
        return "analyse"
    if run.conclusion == "success":
        return "resolve"
    return "ignore"


def _pulls(refs: list[_PullRef], head_sha: str) -> tuple[int, ...]:
    # A run's pull_requests may list PRs whose head has moved on; only this head's count.
    return tuple(
        sorted({ref.number for ref in refs if ref.head is None or ref.head.sha in {None, head_sha}})
    )


def _from_workflow_run(payload: _WorkflowRunEvent) -> CiRun:
    run = payload.workflow_run
    return CiRun(
        source="workflow_run",
        action=payload.action,
        repository=payload.repository.full_name,
        default_branch=payload.repository.default_branch,
        installation_id=payload.installation.id if payload.installation else None,
        run_id=run.id,
        run_attempt=max(run.run_attempt, 1),
        name=run.name or "workflow",
        workflow=f"workflow:{run.workflow_id or run.name}",
        head_sha=run.head_sha,
        head_branch=run.head_branch,
        trigger=run.event,
        conclusion=run.conclusion,
        url=run.html_url,
        pull_requests=_pulls(run.pull_requests, run.head_sha),
    )


def _from_check_run(payload: _CheckRunEvent) -> CiRun:
    run = payload.check_run
    app = run.app or _App()
    output = run.output or _Output()
    return CiRun(
        source="check_run",
        action=payload.action,
        repository=payload.repository.full_name,
        default_branch=payload.repository.default_branch,
        installation_id=payload.installation.id if payload.installation else None,
        run_id=run.id,
        run_attempt=1,
        name=run.name or app.name or "check",
        workflow=f"check:{app.slug or app.id}:{run.name}",
        head_sha=run.head_sha,
        head_branch=run.check_suite.head_branch if run.check_suite else None,
        trigger="push",
        conclusion=run.conclusion,
        url=run.html_url or run.details_url,
        pull_requests=_pulls(run.pull_requests, run.head_sha),
        app_id=app.id,
        app_slug=app.slug,
        title=output.title,
        summary=output.summary,
        text=output.text,
    )
