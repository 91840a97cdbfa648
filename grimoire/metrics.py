"""Prometheus metrics: what the service counts and times, and how ``/metrics`` renders them.

Each running service holds one ``Metrics`` (built with its resources) with its own registry, so
two apps in one process (tests) do not share counters. Under several processes
(``grimoire serve --workers N``, or ``grimoire worker`` beside the service on one host), set
``PROMETHEUS_MULTIPROC_DIR`` to a directory they all share and that is emptied before they
start: prometheus-client then writes every process's values there and ``/metrics`` sums them
(https://prometheus.github.io/client_python/multiprocess/). ``grimoire serve --workers N`` makes
one itself when it is unset. A worker on another host serves its own with ``--metrics-port``.

The queue figures come from the database at scrape time, so they are right whichever process
answers the scrape.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Request latencies: intake answers in milliseconds, reads of big pages take longer.
_HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Jobs wait on GitHub: seconds to minutes.
_JOB_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
_MATCH_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)

# GitHub paths carry owners, repositories, numbers and SHAs: label by their shape, not their value.
_ENDPOINT_PARTS = (
    (re.compile(r"/repos/[^/]+/[^/]+"), "/repos/{owner}/{repo}"),
    # base...head: two commits per label value would be a new series per push.
    (re.compile(r"/compare/[^/]+$"), "/compare/{basehead}"),
    (re.compile(r"/[0-9a-f]{40}(?=/|$)"), "/{sha}"),
    (re.compile(r"/\d+(?=/|$)"), "/{id}"),
)


class Metrics:
    """Every metric the service exports, registered in one registry."""

    def __init__(self, *, multiprocess_dir: str | None = None) -> None:
        self.multiprocess_dir = multiprocess_dir
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "grimoire_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=registry,
        )
        self.http_latency = Histogram(
            "grimoire_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method.",
            ["route", "method"],
            buckets=_HTTP_BUCKETS,
            registry=registry,
        )
        self.deliveries = Counter(
            "grimoire_deliveries",
            "Webhook deliveries received, by event and what became of them.",
            ["event", "status"],
            registry=registry,
        )
        self.jobs = Histogram(
            "grimoire_job_duration_seconds",
            "Time a job ran, by source (the event it analyses) and outcome.",
            ["source", "outcome"],
            buckets=_JOB_BUCKETS,
            registry=registry,
        )
        self.github_requests = Counter(
            "grimoire_github_requests",
            "Requests to the GitHub REST API, by endpoint shape, method and status.",
            ["endpoint", "method", "status"],
            registry=registry,
        )
        self.github_rate_remaining = Gauge(
            "grimoire_github_rate_limit_remaining",
            "Requests left in GitHub's rate-limit window, as GitHub last said (by resource).",
            ["resource"],
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        self.match_latency = Histogram(
            "grimoire_match_duration_seconds",
            "Time to rank spells: for one error (api), a log (log), or a job's findings (job).",
            ["kind"],
            buckets=_MATCH_BUCKETS,
            registry=registry,
        )
        self.spells_loaded = Gauge(
            "grimoire_spells_loaded",
            "Spells in the in-memory spellbook of the process answering the scrape.",
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        self.queue = Gauge(
            "grimoire_queue_deliveries",
            "Deliveries stored, by status (queued and processing are the queue).",
            ["status"],
            multiprocess_mode="mostrecent",
            registry=registry,
        )
        self.queue_oldest_due = Gauge(
            "grimoire_queue_oldest_due_age_seconds",
            "How long the oldest job that is due has waited (0: none is due).",
            multiprocess_mode="mostrecent",
            registry=registry,
        )

    def observe_queue(self, counts: Mapping[str, int], *, oldest_due_age: float) -> None:
        """Record the queue as the database reports it now."""
        for status, count in counts.items():
            self.queue.labels(status).set(count)
        self.queue_oldest_due.set(max(oldest_due_age, 0.0))

    async def observe_github(self, response: httpx.Response) -> None:
        """Count a GitHub response and note the rate limit it reports (an httpx event hook)."""
        request = response.request
        self.github_requests.labels(
            github_endpoint(request.url.path), request.method, str(response.status_code)
        ).inc()
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.isdigit():
            resource = response.headers.get("x-ratelimit-resource", "core")
            self.github_rate_remaining.labels(resource).set(int(remaining))

    def render(self) -> bytes:
        """Return the exposition text: this process's metrics, or every process's."""
        return generate_latest(self.exposed())

    def exposed(self) -> CollectorRegistry:
        """Return the registry a scrape reads: this one, or one summing every process's files."""
        if self.multiprocess_dir is None:
            return self.registry
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=self.multiprocess_dir)  # type: ignore[no-untyped-call]
        return registry


def github_endpoint(path: str) -> str:
    """Return the shape of a GitHub API path: ``/repos/{owner}/{repo}/pulls/{id}``."""
    for pattern, replacement in _ENDPOINT_PARTS:
        path = pattern.sub(replacement, path)
    return path
