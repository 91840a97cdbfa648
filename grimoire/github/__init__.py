"""The GitHub REST edge: an HTTP client factory, authentication, and ``GitHubClient``.

Wiring, done once by the app lifespan::

    http = create_http_client(base_url=settings.github_api_url)
    auth = build_auth(token=settings.github_api_token)          # or app_id=..., private_key=...
    github = GitHubClient(http, auth=auth)
    ...
    await http.aclose()
"""

from __future__ import annotations

from grimoire.github.auth import AppAuth, InstallationToken, TokenAuth, build_auth
from grimoire.github.checks import Annotation, AnnotationLevel, Conclusion
from grimoire.github.client import GitHubClient, Reachability
from grimoire.github.exchange import RetryPolicy
from grimoire.github.http import create_http_client

__all__ = [
    "Annotation",
    "AnnotationLevel",
    "AppAuth",
    "Conclusion",
    "GitHubClient",
    "InstallationToken",
    "Reachability",
    "RetryPolicy",
    "TokenAuth",
    "build_auth",
    "create_http_client",
]
