"""The ``grimoire`` command: parse arguments, build Settings, call the edge.

serve, worker, db (migrations), spells (seed, import, export), match (explain a CI log). The texts
``--help`` shows are in ``DESCRIPTION``, ``EPILOG`` and each argument's ``help``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import dataclasses
import logging
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence

import uvicorn
from prometheus_client import values as prometheus_values

import grimoire
from grimoire import migrations, startup
from grimoire.cli_ops import add_ops_commands
from grimoire.cli_spells import add_match_command, add_spells_commands
from grimoire.config import Settings
from grimoire.errors import ConfigError
from grimoire.logs import configure_logging
from grimoire.storage.db import check_reachable, create_engine

log = logging.getLogger("grimoire")

DESCRIPTION = """\
Grimoire Engine finds the errors in GitHub pull requests and CI logs and answers with the fixes
your team already knows (spells).

first steps:
  grimoire serve             start the service on http://127.0.0.1:8000 (API docs at /docs)
  grimoire spells seed       load the starter spellbooks into the database
  grimoire match build.log   explain the errors in a CI log
"""

EPILOG = """\
Settings come from environment variables or a .env file in the working directory:
DATABASE_URL (default sqlite+aiosqlite:///./grimoire.db), GITHUB_WEBHOOK_SECRET, GITHUB_API_TOKEN
or GITHUB_APP_ID with GITHUB_APP_PRIVATE_KEY_FILE, API_TOKEN, LOG_LEVEL, ... (see the README).
Run `grimoire COMMAND --help` for a command's options.
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_environ()
        configure_logging(settings.log_level, settings.log_format)
        command: Callable[[argparse.Namespace, Settings], int] = args.command
        return command(args, settings)
    except ConfigError as exc:
        print(f"grimoire: {exc.detail}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """Describe every subcommand."""
    parser = argparse.ArgumentParser(
        prog="grimoire",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"grimoire {grimoire.__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    serve_cmd = commands.add_parser(
        "serve",
        help="start the service (webhook, REST API, job workers)",
        description="Create or upgrade the database schema, then serve the webhook, the REST "
        "API and its documentation (/docs), with WORKER_CONCURRENCY job loops in the process.",
    )
    serve_cmd.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)"
    )
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve_cmd.add_argument("--workers", type=int, default=1, help="server processes (default: 1)")
    serve_cmd.add_argument(
        "--no-access-log", action="store_true", help="do not log a line per request"
    )
    serve_cmd.set_defaults(command=serve)

    worker_cmd = commands.add_parser(
        "worker",
        help="process queued pull requests without serving HTTP",
        description="Run job loops in their own process (beside `grimoire serve` with "
        "WORKER_CONCURRENCY=0, for instance). SIGTERM lets running jobs finish, then exits.",
    )
    worker_cmd.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="job loops (default: WORKER_CONCURRENCY, at least 1)",
    )
    worker_cmd.add_argument(
        "--metrics-port", type=int, default=None, help="serve /metrics on this port (0.0.0.0)"
    )
    worker_cmd.set_defaults(command=worker)

    add_spells_commands(commands)
    add_match_command(commands)
    add_ops_commands(commands)

    db_cmd = commands.add_parser(
        "db", help="show or change the database schema version (serve upgrades by itself)"
    )
    db_actions = db_cmd.add_subparsers(required=True, metavar="ACTION")
    up = db_actions.add_parser("upgrade", help="upgrade the schema (default: to the newest)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(command=db_upgrade)
    down = db_actions.add_parser("downgrade", help="downgrade the schema (default: one step)")
    down.add_argument("revision", nargs="?", default="-1")
    down.set_defaults(command=db_downgrade)
    current = db_actions.add_parser("current", help="print the schema revision")
    current.set_defaults(command=db_current)
    return parser


def serve(args: argparse.Namespace, settings: Settings) -> int:
    """Upgrade the schema, say what is starting, then run uvicorn."""
    # The HTTP layer: `grimoire worker` never loads it.
    from grimoire.server import process_server_options, server_options

    spells = asyncio.run(startup.prepare_database(settings))
    url = f"http://{args.host}:{args.port}"
    log.info(startup.summary(settings, url=url, spells=spells, processes=max(1, args.workers)))
    options = {
        "host": args.host,
        "port": args.port,
        "access_log": not args.no_access_log,
        "log_config": None,  # keep our logging setup
    }
    job_loops = settings.worker_concurrency
    if args.workers > 1 or job_loops > 0:
        settings = share_metrics_directory(settings)
    with worker_process(job_loops):
        # The HTTP processes run no job loops: the worker process does.
        settings = dataclasses.replace(settings, worker_concurrency=0)
        os.environ["WORKER_CONCURRENCY"] = "0"
        if args.workers > 1:
            # Several processes need import strings (the app and its protocol); each process
            # reads its settings from the environment.
            options |= process_server_options(settings.limits)
            uvicorn.run("grimoire.app:app", workers=args.workers, **options)
        else:
            from grimoire.app import create_app

            options |= server_options(settings.limits)
            uvicorn.run(create_app(settings, server=True), **options)
    return 0


PR_SET_PDEATHSIG = 1  # linux/prctl.h
WORKER_NICENESS = 10


@contextlib.contextmanager
def worker_process(job_loops: int) -> Iterator[None]:
    """Run ``grimoire worker`` with ``job_loops`` loops beside the server (0: none).

    Analysis is CPU work (diff parsing, matching); in the process that answers webhooks it
    would hold the GIL against the event loop and put seconds into intake's p99. In its own
    process it cannot. The child is told to die with this process (``PR_SET_PDEATHSIG``), so a
    ``kill -9`` of the server leaves no worker behind; its jobs' leases run out and are claimed
    again. It runs at a lower CPU priority than the server (``WORKER_NICENESS``).
    """
    if job_loops == 0:
        yield
        return
    child = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "grimoire", "worker", "--concurrency", str(job_loops)],
        preexec_fn=_prepare_worker_child,
    )
    try:
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _prepare_worker_child() -> None:
    """In the child, before exec: die with the parent (SIGKILL) and yield the CPU to it."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    # Analysis can wait; webhook answers cannot (GitHub gives up after 10 s). At nice 10 the
    # scheduler gives the worker about a tenth of a contended core: a backlog drained on every
    # core raised intake's p99 from ~45 ms to 0.3-1.4 s (bench/intake_under_load.py).
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)


def share_metrics_directory(settings: Settings) -> Settings:
    """Give the service's processes one fresh metrics directory unless the operator named one.

    Without it each process would count alone and a scrape would see whichever answered.
    prometheus-client reads ``PROMETHEUS_MULTIPROC_DIR`` at import in each child process; this
    process imported it already, so its value class is chosen again here.
    """
    directory = settings.prometheus_multiproc_dir or tempfile.mkdtemp(prefix="grimoire-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    prometheus_values.ValueClass = prometheus_values.get_value_class()  # type: ignore[no-untyped-call]
    return dataclasses.replace(settings, prometheus_multiproc_dir=directory)


def worker(args: argparse.Namespace, settings: Settings) -> int:
    """Run job loops until SIGINT or SIGTERM, then drain in-flight jobs and exit."""
    from prometheus_client import start_http_server

    from grimoire.pipeline import process_job
    from grimoire.resources import open_resources, tune_gc
    from grimoire.worker import run_workers

    concurrency = args.concurrency if args.concurrency is not None else settings.worker_concurrency

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await startup.check_database(settings)  # before anything logs about it
        async with open_resources(settings) as res:
            if args.metrics_port is not None:
                start_http_server(args.metrics_port, registry=res.metrics.exposed())
            tune_gc()
            await run_workers(res, stop=stop, pipeline=process_job, concurrency=max(1, concurrency))

    asyncio.run(run())
    return 0


def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Upgrade the schema."""
    asyncio.run(_migrate(settings, migrations.upgrade, args.revision))
    return 0


def db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    """Downgrade the schema."""
    asyncio.run(_migrate(settings, migrations.downgrade, args.revision))
    return 0


def db_current(args: argparse.Namespace, settings: Settings) -> int:
    """Print the schema revision."""

    async def current() -> str | None:
        engine = create_engine(settings.database_url)
        try:
            await check_reachable(engine)
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    revision = asyncio.run(current())
    print(f"{revision or 'none'} (head: {migrations.head_revision()})")
    return 0


async def _migrate(settings: Settings, action: Callable[..., object], revision: str) -> None:
    engine = create_engine(settings.database_url)
    try:
        await check_reachable(engine)
        await action(engine, revision)  # type: ignore[misc]
    finally:
        await engine.dispose()
