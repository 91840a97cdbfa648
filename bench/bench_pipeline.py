"""Benchmark the pull-request pipeline: signed webhook in → analysis stored, time and memory.

For each case (added lines × spells × how GitHub serves the change):

1. a fresh SQLite database with the spells stored (the starter spellbook plus generated spells
   with varied RE2 patterns, from bench_match.py);
2. a generated pull request: new and modified files of Python, JavaScript, Go, C, YAML and CI
   logs, about 1% of the added lines errors (tracebacks, pytest ``E`` lines, gcc errors, Go
   panics, and lines that spells' patterns match);
3. the fake GitHub (tests/fakegithub.py) on loopback serving it, and the real service
   (``python -m grimoire serve``, in-process workers, REPORT_MODE=none) in a subprocess;
4. after one small warm-up delivery, the measured one: time from POST /webhook until
   GET /api/analyses shows the analysis stored (polled every 5 ms), and the server's peak RSS
   growth over that window (``VmHWM`` after resetting it through ``/proc/PID/clear_refs``,
   minus ``VmRSS`` before: it counts RE2's C++ memory, which tracemalloc cannot see).

Then, in this process, the same stages one by one on the same database and fake (median of 3):
fetch (GitHubClient over loopback), parse, extract, rank, store; and the Python-heap peak of
parse and extract+rank (tracemalloc). ``--profile`` adds a py-spy run of the server on the
largest case (samples grouped by stage) and a pyinstrument profile of the pure core.

Above 20,000 lines GitHub refuses the diff (406) and the pipeline reads the files list instead;
the ``files`` cases measure that path.

Run: ``python bench/bench_pipeline.py [--cases 5000:1000:diff,50000:1000:diff] [--profile]``;
writes bench/results/pipeline.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(Path(__file__).parent), str(ROOT)]
from bench_match import COMMON, spellbook_spells, store_spellbook  # noqa: E402

from grimoire.config import Settings  # noqa: E402
from grimoire.core.diff import ParsedDiff, parse_diff, parse_file_patches  # noqa: E402
from grimoire.core.extract import extract_errors  # noqa: E402
from grimoire.core.findings import MAX_FINDINGS, find_errors  # noqa: E402
from grimoire.core.matching import Spellbook, compile_spellbook, rank_spells  # noqa: E402
from grimoire.core.webhook_signature import sign  # noqa: E402
from grimoire.pipeline import save, start  # noqa: E402
from grimoire.resources import open_resources  # noqa: E402
from grimoire.sources import PullJob, Reading  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402
from tests.fixtures import WEBHOOKS  # noqa: E402
from tests.servers import serve  # noqa: E402

RESULTS = Path(__file__).with_name("results") / "pipeline.md"
NOTES = "## Reading the numbers"
OPENED = WEBHOOKS / "pull_request" / "opened.1.json"
REPO = "octo/bench"
SECRET = "bench-secret"
LINES_PER_FILE = 250
REPEATS = 8
POLL_SECONDS = 0.02
ERROR_RATE = 0.01
DEFAULT_CASES = (
    "5000:1000:diff,20000:1000:diff,50000:1000:diff,200000:1000:diff,50000:10000:diff,"
    "20000:1000:files,50000:1000:files"
)


# -- the pull request ---------------------------------------------------------------------------


class PullGenerator:
    """Deterministic mixed-language changes with about 1% error lines."""

    def __init__(self, examples: list[str], seed: int = 11) -> None:
        self.rng = random.Random(seed)
        self.examples = examples
        self.names = [f"{a}_{b}" for a in COMMON[:20] for b in COMMON[20:]]

    def word(self) -> str:
        return self.rng.choice(COMMON)

    def name(self) -> str:
        return self.rng.choice(self.names)

    def code_line(self, language: str) -> str:
        """One plausible line of source code."""
        n, w, v = self.rng.randint(0, 999), self.word(), self.name()
        lines = {
            "py": [
                f"def {v}(self, {w}, timeout={n}):",
                f"    {v} = self.{w}.get({w!r}, {n})",
                f"    if {w} is None:",
                f"        return {v}",
                f"    for item in self.{v}[{n}:]:",
                f"        logger.debug('{w} %s', item)",
                f"from app.{w} import {v}",
                f"# {w} {self.word()} {self.word()}",
                "",
            ],
            "js": [
                f"export function {v}({w}, opts = {{}}) {{",
                f"  const {v} = await fetch(`/api/{w}/${{id}}`, opts);",
                f"  if (!{w}) return null;",
                f"  console.log('{w}', {n});",
                "}",
                f"import {{ {v} }} from './{w}.js';",
            ],
            "go": [
                f"func {v}(ctx context.Context, {w} string) (int, error) {{",
                f"\tif err := client.{w.capitalize()}(ctx); err != nil {{",
                f'\t\treturn {n}, fmt.Errorf("{w}: %w", err)',
                "\t}",
                f"\t{v} := make(map[string]int, {n})",
            ],
            "c": [
                f"static int {v}(struct {w} *{w}, size_t n)",
                f"    for (size_t i = 0; i < n; i++) {w}->{v}[i] = {n};",
                f"    if ({w} == NULL) return -{n % 10};",
                f"#include <{w}.h>",
            ],
            "yaml": [
                f"  {w}:",
                f"    {v}: {n}",
                f"    - run: make {w}",
                f"    image: {w}:{n % 20}.{n % 7}",
            ],
        }[language]
        return self.rng.choice(lines)

    def log_line(self) -> str:
        """One line of CI noise."""
        w, n = self.word(), self.rng.randint(0, 99)
        return self.rng.choice(
            [
                f"2024-05-01T12:{n:02d}:00.0000000Z Collecting {w}=={n}.{n % 7}.0",
                f"tests/test_{w}.py::test_{w}_{n} PASSED [ {n}%]",
                f"gcc -O2 -Wall -c src/{w}.c -o build/{w}.o",
                f"npm warn deprecated {w}@{n}.0.0: no longer supported",
                f"Step {n}/40 : RUN pip install -r requirements.txt",
            ]
        )

    def error_block(self) -> list[str]:
        """An error as tools print it (a few lines), often a spell's example line."""
        example = self.rng.choice(self.examples)
        w, n = self.word(), self.rng.randint(1, 500)
        kind = self.rng.randrange(6)
        if kind == 0:
            return [
                "Traceback (most recent call last):",
                f'  File "/srv/app/{w}.py", line {n}, in {w}',
                f"    {w}()",
                example if ":" in example else f"RuntimeError: {example}",
            ]
        if kind == 1:
            return [f"E       {example}", "", f"tests/test_{w}.py:{n}: AssertionError"]
        if kind == 2:
            return [f"src/{w}.c:{n}:7: error: '{w}_{n}' undeclared (first use in this function)"]
        if kind == 3:
            return [f"panic: {example}", "", "goroutine 1 [running]:", f"main.{w}()"]
        return [example]  # a line only a spell's pattern recognises

    def file_lines(self, language: str, count: int) -> list[str]:
        lines: list[str] = []
        while len(lines) < count:
            if self.rng.random() < ERROR_RATE * (5 if language == "log" else 0.5):
                lines.extend(self.error_block())
            elif language == "log":
                lines.append(self.log_line())
            else:
                lines.append(self.code_line(language))
        return lines[:count]

    def pull(self, added: int) -> tuple[bytes, list[dict[str, Any]]]:
        """Return a diff adding ``added`` lines, and the same change as GitHub's files list."""
        chunks: list[str] = []
        files: list[dict[str, Any]] = []
        languages = ["py", "js", "go", "c", "yaml", "py", "log"]
        n = 0
        while added > 0:
            language = languages[n % len(languages)]
            count = min(added, self.rng.randint(LINES_PER_FILE // 2, LINES_PER_FILE * 3 // 2))
            path = f"{language}/{self.word()}_{n:04}.{language}"
            lines = self.file_lines(language, count)
            header, patch, deletions = (
                self.modification(path, lines) if n % 3 == 0 else self.creation(path, lines)
            )
            chunks.append(header + patch + "\n")
            status = "modified" if n % 3 == 0 else "added"
            files.append(
                {
                    "filename": path,
                    "status": status,
                    "additions": count,
                    "deletions": deletions,
                    "patch": patch,
                }
            )
            added -= count
            n += 1
        return "".join(chunks).encode(), files

    def creation(self, path: str, lines: list[str]) -> tuple[str, str, int]:
        header = (
            f"diff --git a/{path} b/{path}\nnew file mode 100644\nindex 0000000..1a2b3c4\n"
            f"--- /dev/null\n+++ b/{path}\n"
        )
        patch = f"@@ -0,0 +1,{len(lines)} @@\n" + "\n".join(f"+{line}" for line in lines)
        return header, patch, 0

    def modification(self, path: str, lines: list[str]) -> tuple[str, str, int]:
        """Hunks of up to 40 added lines, each with 3 context lines and a removed line."""
        header = f"diff --git a/{path} b/{path}\nindex 5d6e7f8..9a0b1c2 100644\n"
        header += f"--- a/{path}\n+++ b/{path}\n"
        hunks, old, new, deletions = [], 1, 1, 0
        for first in range(0, len(lines), 40):
            block = lines[first : first + 40]
            old += 20
            new += 20
            body = [f" {self.code_line('py')}" for _ in range(3)]
            body.append(f"-{self.code_line('py')}")
            body.extend(f"+{line}" for line in block)
            hunks.append(f"@@ -{old},4 +{new},{3 + len(block)} @@\n" + "\n".join(body))
            old, new, deletions = old + 4, new + 3 + len(block), deletions + 1
        return header, "\n".join(hunks), deletions


# -- the database and the server ----------------------------------------------------------------


async def make_database(path: Path, size: int) -> list[str]:
    """Create a migrated SQLite database holding ``size`` spells; return example error lines."""
    spells, examples = spellbook_spells(size)
    await store_spellbook(f"sqlite+aiosqlite:///{path}", spells)
    return list(examples.values())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Server:
    """``python -m grimoire serve`` in a subprocess (optionally under py-spy)."""

    url: str
    process: subprocess.Popen[bytes]
    profile: Path | None = None

    @property
    def pid(self) -> int:
        """The server's own pid (py-spy's child when profiling)."""
        if self.profile is None:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        while not children.read_text().split():
            time.sleep(0.01)
        return int(children.read_text().split()[0])

    def stop(self) -> None:
        os.kill(self.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


def start_server(database: Path, github_url: str, token: str, profile: Path | None) -> Server:
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "GITHUB_API_URL": github_url,
        "GITHUB_API_TOKEN": token,
        "GITHUB_WEBHOOK_SECRET": SECRET,
        "REPORT_MODE": "none",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "grimoire", "serve", "--port", str(port), "--no-access-log"]
    if profile is not None:
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or "py-spy"
        command = [spy, "record", "--format", "raw", "--rate", "250", "-o", str(profile)]
        command += ["--", sys.executable, "-m", "grimoire", "serve", "--port", str(port)]
        command += ["--no-access-log"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.DEVNULL)
    return Server(f"http://127.0.0.1:{port}", process, profile)


def memory(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


def reset_peak(pid: int) -> None:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux >= 4.0)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


# -- one end-to-end measurement -----------------------------------------------------------------


def webhook(number: int, head_sha: str) -> tuple[bytes, dict[str, str]]:
    payload = json.loads(OPENED.read_bytes())
    payload["action"] = "synchronize"
    payload["number"] = payload["pull_request"]["number"] = number
    payload["pull_request"]["head"]["sha"] = head_sha
    payload["repository"]["full_name"] = REPO
    body = json.dumps(payload).encode()
    headers = {
        "X-GitHub-Event": "pull_request",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(SECRET, body),
        "Content-Type": "application/json",
    }
    return body, headers


async def until(probe: Callable[[], Awaitable[Any]], *, within: float = 300.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if (value := await probe()) is not None:
                return value
        except httpx.TransportError:
            pass
        await asyncio.sleep(POLL_SECONDS)
    raise TimeoutError(f"nothing after {within} s")


@dataclass
class Run:
    """One delivery: seconds until the analysis was stored (by its finished_at) and seen."""

    stored: float
    seen: float
    analysis: dict[str, Any]
    rss: float = 0.0  # the server's RSS growth once it is stored, MiB


async def deliver_and_wait(client: httpx.AsyncClient, number: int, head_sha: str) -> Run:
    """POST the webhook, poll until the analysis of ``head_sha`` is stored."""
    body, headers = webhook(number, head_sha)

    async def stored() -> dict[str, Any] | None:
        response = await client.get("/api/analyses", params={"repository": REPO, "pr": number})
        found = [a for a in response.json() if a["head_sha"] == head_sha]
        return found[0] if found and found[0]["status"] in ("done", "failed") else None

    wall, started = datetime.now(UTC), time.perf_counter()
    response = await client.post("/webhook", content=body, headers=headers)
    assert response.status_code == 202, response.text
    analysis: dict[str, Any] = await until(stored)
    seen = time.perf_counter() - started
    assert analysis["status"] == "done", analysis
    # The server stamps finished_at when it commits the analysis: same machine, same clock.
    finished = datetime.fromisoformat(analysis["finished_at"].replace("Z", "+00:00"))
    return Run((finished - wall).total_seconds(), seen, analysis)


@dataclass
class Case:
    lines: int
    spells: int
    source: str  # "diff", or "files" (GitHub refuses the diff: 406, then the files list)


@dataclass
class Result:
    case: Case
    diff_mb: float
    runs: list[Run] = field(default_factory=list)
    rss_before: float = 0.0
    peak_first: float = 0.0  # peak RSS growth over the first (cold) delivery
    peak_all: float = 0.0  # over all REPEATS deliveries
    stages: dict[str, float] = field(default_factory=dict)
    cold_stages: dict[str, float] = field(default_factory=dict)
    heap_mb: dict[str, float] = field(default_factory=dict)

    @property
    def cold(self) -> Run:
        return self.runs[0]

    @property
    def warm(self) -> float:
        return statistics.median(run.stored for run in self.runs[1:])


EXAMPLES: dict[int, list[str]] = {}  # per spellbook size: a line each spell's pattern matches


async def measure(case: Case, work: Path, profile: Path | None = None) -> Result:
    """Run one case end to end, then its stages in this process."""
    database = work / f"bench-{case.spells}.db"
    if case.spells not in EXAMPLES:
        EXAMPLES[case.spells] = await make_database(database, case.spells)
    run_db = work / "run.db"
    shutil.copyfile(database, run_db)
    diff, files = PullGenerator(EXAMPLES[case.spells]).pull(case.lines)
    result = Result(case, len(diff) / 2**20)
    fake = FakeGitHub()
    token = fake.add_token()
    fake.add_pull(REPO, 1, diff=b"", head_sha="0" * 40)  # the warm-up
    too_large: Literal["lines"] | None = "lines" if case.source == "files" else None
    async with serve(fake) as github_url:
        server = start_server(run_db, github_url, token, profile)
        try:
            async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
                await until(lambda: _ready(client))
                await deliver_and_wait(client, 1, "0" * 40)
                pid = server.pid
                reset_peak(pid)
                result.rss_before = memory(pid)["VmRSS"]
                for n in range(REPEATS):
                    head = f"{n + 2:040x}"
                    fake.add_pull(
                        REPO, 2, diff=diff, files=files, head_sha=head, too_large=too_large
                    )
                    run = await deliver_and_wait(client, 2, head)
                    result.runs.append(run)
                    run.rss = memory(pid)["VmRSS"] - result.rss_before
                    if n == 0:
                        result.peak_first = memory(pid)["VmHWM"] - result.rss_before
                after = memory(pid)
                result.peak_all = after["VmHWM"] - result.rss_before
        finally:
            server.stop()
        if profile is None:
            await stages(result, run_db, github_url, token)
    return result


async def _ready(client: httpx.AsyncClient) -> bool | None:
    response = await client.get("/health/ready")
    if response.status_code != 200:
        return None
    # The spellbook compiles in the background at start: wait until matching answers.
    match = await client.post("/api/match", json={"error_type": "x", "message": "warm"})
    return True if match.status_code == 200 else None


# -- the stages, one by one, in this process ----------------------------------------------------


async def stages(result: Result, database: Path, github_url: str, token: str) -> None:
    """Time each stage (first run, and the median of 3 more), then the core's heap peaks."""
    case, analysis = result.case, result.cold.analysis
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{database}",
        github_api_url=github_url,
        github_api_token=token,
        worker_concurrency=0,
        report_mode="none",
        log_level="WARNING",
    )
    # Re-run the first measured delivery (the analysis row must point at a real delivery).
    job = PullJob(
        id=analysis["delivery_id"], repository=REPO, pr_number=2, head_sha=analysis["head_sha"],
        base_sha=None, installation_id=None, attempts=1, received_at=datetime.now(UTC),
    )  # fmt: skip
    timings: dict[str, list[float]] = {}
    async with open_resources(settings) as res:
        book = await res.spell_index.current(res.readers)
        for _ in range(4):
            clock = time.perf_counter()

            def lap(name: str) -> None:
                nonlocal clock
                now = time.perf_counter()
                timings.setdefault(name, []).append(now - clock)
                clock = now

            await res.spell_index.current(res.readers)
            lap("spellbook check")
            if case.source == "files":
                entries = await res.github.pull_files(REPO, 2)
                lap("fetch")
                parsed = parse_file_patches(entries)
            else:
                raw = await res.github.pull_diff(REPO, 2)
                lap("fetch")
                parsed = parse_diff(raw)
            lap("parse")
            payloads = extract_errors(parsed.files, book, limit=MAX_FINDINGS + 1)
            lap("extract")
            for payload in payloads[:MAX_FINDINGS]:
                rank_spells(payload, book, limit=1)
            lap("rank")
            findings, capped = find_errors(parsed.files, book)  # both again, for the findings
            clock = time.perf_counter()
            analysis_id = await start(res, job)
            reading = Reading(files=parsed.files, problems=parsed.errors, how=case.source)
            await save(res, analysis_id, reading, findings, capped=capped)
            lap("store")
    result.cold_stages = {name: values[0] for name, values in timings.items()}
    result.stages = {name: statistics.median(values[1:]) for name, values in timings.items()}
    result.heap_mb = core_heap(raw if case.source == "diff" else None, parsed, book)


def core_heap(raw: bytes | None, parsed: ParsedDiff, book: Spellbook) -> dict[str, float]:
    """Peak Python-heap MiB of parse and of extract+rank (tracemalloc; RE2 memory not seen)."""
    peaks = {}
    if raw is not None:
        tracemalloc.start()
        parsed = parse_diff(raw)
        peaks["parse"] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    tracemalloc.start()
    find_errors(parsed.files, book)
    peaks["extract+rank"] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peaks


# -- profiles -----------------------------------------------------------------------------------

# A sample belongs to the first category one of whose frames it holds.
CATEGORIES = (
    ("startup (imports, migrations, spellbook compile)",
     ("_find_and_load", "compile_spellbook", "migrations.py", "warm_spellbook", "open_resources",
      "tune_gc")),
    ("parse (parse_diff / parse_file_patches)", ("parse_diff", "parse_file_patches")),
    ("extract (extract_errors)", ("extract_errors",)),
    ("rank (rank_spells, findings)", ("rank_spells", "find_errors")),
    ("store (ORM side: start_analysis, save_results)",
     ("save_results", "save (grimoire/pipeline.py", "start_analysis", "fail_analysis")),
    ("fetch (GitHubClient, httpx)", ("pull_diff", "pull_files", "exchange (grimoire")),
    ("webhook intake", ("receive_webhook", "IntakeWriter")),
    ("API polls by the bench", ("list_analyses", "get_analysis", "health", "match_error")),
    ("worker loop (claim, lease, settle)", ("_job_loop", "_heartbeat", "run_job")),
    ("SQLite driver thread (every query)", ("aiosqlite",)),
)  # fmt: skip
# Threads waiting for work that py-spy still samples (a queue get, an idle pool thread).
IDLE_LEAVES = ("aiosqlite/core.py:59)", "concurrent/futures/thread.py:81)")
# uvicorn runs uvloop: its loop is native code, so py-spy sees no frame below this one, whether
# it waits in epoll or runs its own callbacks.
LOOP_LEAF = "Runner.run (asyncio/runners.py:118)"


def profile_categories(raw: Path) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Group py-spy's raw samples by pipeline stage; also the busiest leaf functions."""
    groups: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if frames[-1].endswith(IDLE_LEAVES):
            continue
        name = next((n for n, keys in CATEGORIES if any(k in stack for k in keys)), "other")
        if name == "other" and frames[-1] == LOOP_LEAF:
            name = "uvloop (native: waiting in epoll, or its own work)"
        groups[name] += int(count)
        if not name.startswith("startup"):
            leaves[frames[-1]] += int(count)
    return groups.most_common(), leaves.most_common(12)


def pyinstrument_core(case: Case) -> str:
    """Profile parse + extract + rank in this process with pyinstrument (warm, second run)."""
    from pyinstrument import Profiler

    spells, _ = spellbook_spells(case.spells)
    book = compile_spellbook(spells)
    diff, _ = PullGenerator(EXAMPLES[case.spells]).pull(case.lines)
    find_errors(parse_diff(diff).files, book)  # warm the pattern caches
    profiler = Profiler(interval=0.0005)
    with profiler:
        find_errors(parse_diff(diff).files, book)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    lines = [line for line in text.splitlines() if line.strip() and "Profile at" not in line]
    return "\n".join(lines[3:45])


# -- the report ---------------------------------------------------------------------------------


def label(case: Case) -> str:
    return f"{case.lines:,} | {case.spells:,} | {case.source}"


def report(results: list[Result], profile: str, load: tuple[float, float]) -> str:
    out = [
        "# Pipeline benchmark: webhook to stored analysis",
        "",
        "Produced by `python bench/bench_pipeline.py"
        + (" --profile" if profile else "")
        + f"` on a {os.cpu_count()}-core machine shared with other work (load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end), Python "
        f"{sys.version.split()[0]}, SQLite. `grimoire serve` runs in a subprocess with its "
        "in-process workers, REPORT_MODE=none; GitHub is tests/fakegithub.py on loopback. "
        f"Each case: one warm-up delivery, then {REPEATS} deliveries of the same change under "
        "new head SHAs (each a new analysis). *cold* is the first of them (the process has not "
        "seen these spells' patterns or this much text before), *warm* the median of the "
        "others. Time is from POST /webhook to the analysis's `finished_at` (its commit); the "
        f"bench polls GET /api/analyses every {POLL_SECONDS * 1000:.0f} ms and sees it "
        "slightly later. Targets: under 1 s at 5,000 lines, under 5 s at 50,000.",
        "",
        "| added lines | spells | source | diff MiB | files | findings | cold s | warm s "
        "| server ms (cold) | RSS before MiB | peak growth, cold MiB | peak growth, all runs MiB "
        "| RSS growth after each delivery MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        a = r.cold.analysis
        out.append(
            f"| {label(r.case)} | {r.diff_mb:.1f} | {a['files_changed']} | {a['findings_count']} "
            f"| {r.cold.stored:.2f} | {r.warm:.2f} | {a['duration_ms']} | {r.rss_before:.0f} "
            f"| {r.peak_first:.1f} | {r.peak_all:.1f} | "
            + ", ".join(f"{run.rss:.0f}" for run in r.runs)
            + " |"
        )
    names = list(results[0].stages)
    out += [
        "",
        "## Stages, one by one in the bench process (ms: median of 3 warm runs, cold first run "
        "in brackets)",
        "",
        "Same database, fake GitHub and change; `extract` is `extract_errors`, `rank` is "
        "`rank_spells` for each error it found (together they are `find_errors`); `store` is "
        "`start_analysis` + `save_results` (rewriting the analysis's files and findings). "
        "Heap MiB: tracemalloc peak of `parse_diff` and of `find_errors` (Python objects only).",
        "",
        "| added lines | spells | source | " + " | ".join(names) + " | sum | heap MiB: parse "
        "| heap MiB: extract+rank |",
        "|---|---|---|" + "---|" * (len(names) + 3),
    ]
    for r in results:
        cells = [f"{r.stages[n] * 1000:.0f} ({r.cold_stages[n] * 1000:.0f})" for n in names]
        total = sum(r.stages.values()) * 1000
        heap = r.heap_mb
        # The files path parses each file's patch as it arrives: no one diff to measure.
        parse_heap = f"{heap['parse']:.1f}" if "parse" in heap else "-"
        out.append(
            f"| {label(r.case)} | " + " | ".join(cells) + f" | {total:.0f} "
            f"| {parse_heap} | {heap['extract+rank']:.1f} |"
        )
    if profile:
        out += ["", profile]
    return "\n".join(out) + "\n"


async def profiled(case: Case, work: Path) -> str:
    """Run the case with the server under py-spy; return the markdown of both profiles."""
    raw = work / "pyspy.raw"
    await measure(case, work, profile=raw)
    groups, leaves = profile_categories(raw)
    pipeline = sum(n for name, n in groups if not name.startswith("startup"))
    lines = [
        f"## Profile: {case.lines:,} lines, {case.spells:,} spells, {case.source}",
        "",
        f"py-spy (200 Hz) on the `grimoire serve` process over its whole life: start, the "
        f"warm-up and the {REPEATS} measured deliveries. Samples by stage (idle threads "
        "waiting on a queue left out; percentages of the non-startup samples):",
        "",
        "| stage | samples | share |",
        "|---|---|---|",
    ]
    for name, count in groups:
        share = "" if name.startswith("startup") else f"{count / pipeline:.0%}"
        lines.append(f"| {name} | {count} | {share} |")
    lines += [
        "",
        "Busiest leaf functions (non-startup):",
        "",
        "| function | samples |",
        "|---|---|",
    ]
    lines += [f"| `{leaf}` | {count} |" for leaf, count in leaves]
    lines += [
        "",
        "pyinstrument, in the bench process, of one warm `find_errors(parse_diff(diff).files, "
        "book)`:",
        "",
        "```",
        pyinstrument_core(case),
        "```",
    ]
    return "\n".join(lines)


def parse_case(spec: str) -> Case:
    lines, spells, source = spec.split(":")
    return Case(int(lines), int(spells), source)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", default=DEFAULT_CASES, help="lines:spells:diff|files,...")
    parser.add_argument("--profile", action="store_true", help="py-spy + pyinstrument runs")
    parser.add_argument("--profile-case", default="50000:1000:diff", help="lines:spells:source")
    args = parser.parse_args()
    cases = [parse_case(spec) for spec in args.cases.split(",")]
    started = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        results = []
        for case in cases:
            results.append(asyncio.run(measure(case, Path(tmp))))
            print(report(results[-1:], "", (started, started)).splitlines()[-1], flush=True)
        chosen = parse_case(args.profile_case)
        profile = asyncio.run(profiled(chosen, Path(tmp))) if args.profile else ""
    text = report(results, profile, (started, os.getloadavg()[0]))
    print(text)
    RESULTS.parent.mkdir(exist_ok=True)
    # The hand-written reading of the numbers, below its heading, survives a re-run.
    notes = RESULTS.read_text().partition(NOTES)[2] if RESULTS.exists() else ""
    RESULTS.write_text(text + ("\n" + NOTES + notes if notes else ""))


if __name__ == "__main__":
    main()
