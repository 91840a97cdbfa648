"""What the pages show, put straight into a test database: deliveries, analyses, findings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from grimoire.storage.db import create_engine, create_sessions
from grimoire.storage.tables import Analysis, CiAnalysis, CiJob, Delivery, Finding

NOW = datetime.now(UTC)


def delivery(delivery_id: str, **fields: Any) -> Delivery:
    values: dict[str, Any] = {
        "event": "pull_request",
        "action": "opened",
        "repository": "octo/app",
        "pr_number": 42,
        "head_sha": "a" * 40,
        "status": "done",
        "attempts": 1,
        "next_attempt_at": NOW,
        "received_at": NOW - timedelta(minutes=5),
        "processed_at": NOW - timedelta(minutes=4),
        "updated_at": NOW - timedelta(minutes=4),
    }
    return Delivery(id=delivery_id, **(values | fields))


def analysis(findings: list[Finding], **fields: Any) -> Analysis:
    values: dict[str, Any] = {
        "repository": "octo/app",
        "pr_number": 42,
        "head_sha": "a" * 40,
        "status": "done",
        "source": "diff",
        "files_changed": 2,
        "additions": 10,
        "deletions": 1,
        "findings_count": len(findings),
        "report_status": "posted",
        "created_at": NOW - timedelta(hours=1),
        "updated_at": NOW - timedelta(hours=1),
    }
    return Analysis(**(values | fields), findings=findings, files=[])


def finding(rank: int, message: str, **fields: Any) -> Finding:
    values: dict[str, Any] = {
        "path": "src/app.py",
        "line": 10 + rank,
        "error_type": "ModuleNotFoundError",
        "excerpt": message,
        "stack_trace": None,
        "spell_id": None,
        "spell_title": None,
        "spell_solution": None,
        "score": None,
        "why": None,
    }
    return Finding(rank=rank, message=message, **(values | fields))


async def store(database_url: str, *rows: Any) -> list[int | str]:
    """Store rows in one transaction; return their ids."""
    engine = create_engine(database_url)
    try:
        async with create_sessions(engine).begin() as session:
            session.add_all(rows)
            await session.flush()
            return [row.id for row in rows]
    finally:
        await engine.dispose()


def ci_run(jobs: list[CiJob], **fields: Any) -> CiAnalysis:
    values: dict[str, Any] = {
        "repository": "octo/app",
        "source": "workflow_run",
        "run_id": 9001,
        "run_attempt": 1,
        "workflow": "CI",
        "name": "CI",
        "url": "https://github.example/octo/app/actions/runs/9001",
        "conclusion": "failure",
        "head_sha": "a" * 40,
        "pr_number": 42,
        "pull_requests": [42],
        "status": "done",
        "jobs_failed": len(jobs),
        "findings_count": len(jobs),
        "created_at": NOW - timedelta(minutes=30),
        "updated_at": NOW - timedelta(minutes=30),
    }
    return CiAnalysis(**(values | fields), jobs=jobs)


def ci_job(position: int, name: str, **fields: Any) -> CiJob:
    values: dict[str, Any] = {
        "job_id": 500 + position,
        "step": "Run tests",
        "url": f"https://github.example/octo/app/actions/runs/9001/job/{500 + position}",
        "outcome": "analysed",
        "error_type": "ModuleNotFoundError",
        "root_cause": "No module named 'yaml'",
        "classification": "new",
        "spells": [],
        "errors": [],
    }
    return CiJob(position=position, name=name, **(values | fields))
