"""Generate the CI log corpus (tests/quality/cilogs.json.gz) by running broken builds for real.

Every step of every log is a command really run on the machine that runs this script: passing
test suites, dependency installs (pip and npm against their registries), compilers with warnings,
tolerated failures (a ``mkdir`` the script ignores, npm's ERESOLVE fixed by the retry with
``--legacy-peer-deps``, pip retrying a dead mirror before it succeeds), then the step that
breaks the build (the broken programs of ``generate.py`` and the cascades below: a failed pip
install then pytest's import errors, conflict markers then the syntax errors they cause, make and
Maven wrapping the compiler). Each distinct step runs once, sequentially, with a time bound, and
its real output (exit status included) is reused by every log that contains it. A log is a job:
checkout, two to four noise steps, the failing step, and the runner's ending, written the way
GitHub Actions, GitLab or Jenkins print it (timestamps, ANSI colours, group and section markers).

The label of a log is the title of the starter spell that explains its failure, or ``None``
when no starter spell does (a custom exception, an app-specific exit). The split is fixed by a
hash of the log's name (``held_out``), decided before any result was looked at.

Run: ``python -m tests.quality.cilogs`` (about 10 minutes; needs gcc, node/npm, javac/mvn,
rustc/cargo, the Docker client; Go is used when installed).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import NamedTuple

from tests.quality.cilog_cascades import cascades
from tests.quality.cilog_steps import _SLOW_SERVER, NOISE, PY, ROOT, STEP_TIMEOUT, Case, Step
from tests.quality.generate import CASES as PROGRAM_CASES

OUT = Path(__file__).with_name("cilogs.json.gz")


def _program_cases() -> list[Case]:
    """The broken programs of generate.py, each as a failing step."""
    cases = []
    for name, expected, files, command in PROGRAM_CASES:
        ecosystem = (
            "python"
            if name.startswith(("py_", "mypy"))
            else "node"
            if name.startswith(("js_", "node", "npm"))
            else "c"
            if name.startswith(("c_", "cpp", "make"))
            else "java"
            if name.startswith(("java", "maven"))
            else "rust"
            if name.startswith("rust")
            else "any"
        )
        command = command.replace(sys.executable, PY).replace("python3 ", f"{PY} ")
        cases.append(Case(name, expected, Step(name, files, command, ecosystem)))
    return cases


class Run(NamedTuple):
    output: str
    status: int


def run_step(step: Step, tsc: str) -> Run:
    """Run a step in a fresh directory and return its combined output and exit status."""
    where = ROOT / "steps" / step.name
    shutil.rmtree(where, ignore_errors=True)
    where.mkdir(parents=True)
    for name, text in step.files.items():
        (where / name).parent.mkdir(parents=True, exist_ok=True)
        (where / name).write_bytes(text.encode())
    command = step.command.replace("TSC ", f"{tsc} ")
    try:
        proc = subprocess.run(
            ["bash", "-c", command],
            cwd=where,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=STEP_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout or b""
        return Run(out.decode("utf-8", "replace") + "\nTerminated: step timed out\n", 124)
    return Run(proc.stdout.decode("utf-8", "replace"), proc.returncode)


def _shell_status(run: Run) -> Run:
    """Report a death by signal N as a shell does: status 128 + N."""
    return run if run.status >= 0 else Run(run.output, 128 - run.status)


def _slow_server() -> None:
    """A mirror that accepts connections and never answers: pip's read timeouts, for real."""
    host, port = _SLOW_SERVER.split(":")
    server = socket.create_server((host, int(port)))
    held = []

    def serve() -> None:
        while True:
            conn, _ = server.accept()
            held.append(conn)

    threading.Thread(target=serve, daemon=True).start()


def _install_tsc() -> str:
    where = ROOT / "tsc"
    if not (where / "node_modules/.bin/tsc").exists():
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "typescript@5.4.5"],
            cwd=where,
            check=False,
            capture_output=True,
            timeout=300,
        )
    return str(where / "node_modules/.bin/tsc")


# ---- wrapping a job as a CI runner prints it -------------------------------------------------

_NOISE_BY_ECOSYSTEM = {
    "python": [
        "pip_install",
        "pip_retry_then_ok",
        "pytest_pass",
        "pytest_pass_short",
        "python_runtime_warning",
        "lint_notes",
    ],
    "node": ["npm_install_deprecated", "npm_eresolve_then_legacy", "node_test_pass"],
    "c": ["gcc_warnings_ok", "env_report"],
    "rust": ["cargo_build_warning"],
    "java": ["javac_deprecation"],
    "go": ["env_report"],
    "shell": ["env_report", "gcc_warnings_ok"],
    "docker": ["env_report", "pip_install"],
    "ci": ["env_report", "pip_install"],
    "any": ["env_report", "pytest_pass_short"],
}
_RED_HERRINGS = [
    "mkdir_ignored",
    "pip_retry_then_ok",
    "npm_eresolve_then_legacy",
    "pytest_pass",
    "python_runtime_warning",
]


def _job_steps(name: str, ecosystem: str, rng: random.Random) -> list[str]:
    pool = _NOISE_BY_ECOSYSTEM.get(ecosystem, _NOISE_BY_ECOSYSTEM["any"])
    steps = ["git_checkout", rng.choice(["pytest_pass", "node_test_pass"])]
    steps += rng.sample(pool, k=min(len(pool), rng.randint(1, 3)))
    steps += [s for s in rng.sample(_RED_HERRINGS, k=rng.randint(1, 2)) if s not in steps]
    return steps


def _command_of(step: Step) -> str:
    return step.command.replace(PY, "python").replace(str(ROOT), ".").split(" 2>&1")[0]


class _Clock:
    def __init__(self, rng: random.Random) -> None:
        self.t: float = 1_764_770_000 + rng.randint(0, 5_000_000)
        self.rng = rng

    def tick(self) -> float:
        self.t += self.rng.random() * 0.05
        return self.t

    def iso(self, digits: int = 7) -> str:
        t = self.tick()
        frac = f"{t % 1:.{digits}f}"[2:]
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{frac}Z"


def wrap_github(steps: list[tuple[Step, Run]], clock: _Clock) -> str:
    out = [
        "Current runner version: '2.321.0'",
        "##[group]Operating System",
        "Ubuntu",
        "22.04.5",
        "LTS",
        "##[endgroup]",
        "##[group]Runner Image",
        "Image: ubuntu-22.04",
        "Version: 20241201.1.0",
        "##[endgroup]",
        "Prepare workflow directory",
        "Prepare all required actions",
        "Getting action download info",
        "Download action repository 'actions/checkout@v4' (SHA:11bd71901bbe5b1630ceea73d27597364c9af683)",  # noqa: E501
        "Complete job name: build",
    ]
    status = 0
    for step, run in steps:
        out.append(f"##[group]Run {_command_of(step)}")
        out.append(_command_of(step))
        out.append("shell: /usr/bin/bash -e {0}")
        out.append("##[endgroup]")
        out += run.output.rstrip("\n").split("\n")
        status = run.status
        if status:
            out.append(f"##[error]Process completed with exit code {status}.")
            break
    out += ["Post job cleanup.", "Cleaning up orphan processes"]
    return "\n".join(f"{clock.iso()} {line}" for line in out) + "\n"


def wrap_gitlab(steps: list[tuple[Step, Run]], clock: _Clock) -> str:
    def section(kind: str, name: str, title: str = "") -> str:
        head = f"section_{kind}:{int(clock.tick())}:{name}\r\x1b[0K"
        return head + (f"\x1b[0K\x1b[36;1m{title}\x1b[0;m" if title else "")

    out = [
        "\x1b[0KRunning with gitlab-runner 17.5.0 (66269445)\x1b[0;m",
        "\x1b[0K  on docker-runner-2 t3_xYz9a, system ID: s_4f2c8e1b9d07\x1b[0;m",
        section("start", "prepare_executor", 'Preparing the "docker" executor'),
        "\x1b[0KUsing Docker executor with image python:3.11 ...\x1b[0;m",
        section("end", "prepare_executor"),
        section("start", "get_sources", "Getting source from Git repository"),
        "\x1b[32;1mFetching changes with git depth set to 20...\x1b[0;m",
        section("end", "get_sources"),
        section("start", "step_script", 'Executing "step_script" stage of the job script'),
    ]
    status = 0
    for step, run in steps:
        out.append(f"\x1b[32;1m$ {_command_of(step)}\x1b[0;m")
        out += run.output.rstrip("\n").split("\n")
        status = run.status
        if status:
            break
    out.append(section("end", "step_script"))
    out.append(section("start", "cleanup_file_variables", "Cleaning up project directory"))
    out.append(section("end", "cleanup_file_variables"))
    if status:
        out.append(f"\x1b[31;1mERROR: Job failed: exit code {status}\x1b[0;m")
    else:
        out.append("\x1b[32;1mJob succeeded\x1b[0;m")
    return "\n".join(out) + "\n"


def wrap_jenkins(steps: list[tuple[Step, Run]], clock: _Clock) -> str:
    stamp = clock.rng.random() < 0.5
    out = [
        "Started by an SCM change",
        "[Pipeline] Start of Pipeline",
        "[Pipeline] node",
        "Running on agent-linux-3 in /home/jenkins/workspace/app_main",
        "[Pipeline] {",
        "[Pipeline] stage",
        "[Pipeline] { (Build)",
    ]
    status = 0
    for step, run in steps:
        out += ["[Pipeline] sh", f"+ {_command_of(step)}"]
        out += run.output.rstrip("\n").split("\n")
        status = run.status
        if status:
            break
    out += [
        "[Pipeline] }",
        "[Pipeline] // stage",
        "[Pipeline] }",
        "[Pipeline] // node",
        "[Pipeline] End of Pipeline",
    ]
    if status:
        out += [f"ERROR: script returned exit code {status}", "Finished: FAILURE"]
    else:
        out.append("Finished: SUCCESS")
    if stamp:
        return (
            "\n".join(
                line if line.startswith("[Pipeline]") else f"[{clock.iso(3)}] {line}"
                for line in out
            )
            + "\n"
        )
    return "\n".join(out) + "\n"


WRAPPERS = {"github": wrap_github, "gitlab": wrap_gitlab, "jenkins": wrap_jenkins}


def _scrub(text: str) -> str:
    """Put the paths of this machine where a CI runner would have them."""
    repo = str(Path(__file__).resolve().parents[2])
    text = text.replace(f"{repo}/.venv", "/opt/venv").replace(repo, "/home/runner/work/app")
    text = text.replace(str(ROOT / "steps"), "/home/runner/work/app")
    return text.replace(sys.prefix, "/opt/venv")


def held_out(case: str) -> bool:
    """Tell whether a case's logs are in the held-out part (never tuned on): a hash of the
    case's name, so both logs of one broken program land in the same part."""
    return hashlib.sha256(case.encode()).digest()[0] % 2 == 1


def main() -> None:
    """Run every step once and write the corpus."""
    _slow_server()
    tsc = _install_tsc()
    cases = _program_cases() + cascades()
    cache = ROOT / "runs.json"
    saved = json.loads(cache.read_text()) if cache.exists() and "--fresh" not in sys.argv else {}
    runs: dict[str, Run] = {name: _shell_status(Run(*run)) for name, run in saved.items()}
    needed = {c.step.name: c.step for c in cases}
    needed.update(NOISE)
    for name, step in needed.items():
        tool = step.command.split()[0].rsplit("/", 1)[-1].replace("TSC", "node")
        if shutil.which(tool) is None and not Path(step.command.split()[0]).exists():
            print(f"skip {name}: {tool} is not installed", flush=True)
            continue
        if name in runs:
            continue
        started = time.monotonic()
        runs[name] = _shell_status(run_step(step, tsc))
        cache.write_text(json.dumps({n: list(r) for n, r in runs.items()}))
        print(
            f"{name}: exit {runs[name].status}, {len(runs[name].output)} chars, "
            f"{time.monotonic() - started:.1f}s",
            flush=True,
        )
    logs = []
    for case in cases:
        if case.step.name not in runs or runs[case.step.name].status == 0:
            continue  # a step that did not fail ends no job
        for variant in range(2):
            name = f"{case.name}#{variant}"
            rng = random.Random(name)
            wrapper = list(WRAPPERS)[
                (variant + int(hashlib.sha256(case.name.encode()).digest()[1])) % 3
            ]
            steps = [
                (NOISE[s], runs[s])
                for s in _job_steps(name, case.step.ecosystem, rng)
                if s in runs and runs[s].status == 0
            ]
            steps.append((case.step, runs[case.step.name]))
            text = _scrub(WRAPPERS[wrapper](steps, _Clock(rng)))
            logs.append(
                {
                    "name": name,
                    "expected": case.expected,
                    "runner": wrapper,
                    "ecosystem": case.step.ecosystem,
                    "held_out": held_out(case.name),
                    "lines": text.count("\n"),
                    "log": text,
                }
            )
    data = json.dumps(logs, ensure_ascii=False).encode()
    with gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as f:  # same logs, same bytes
        f.write(data)
    print(f"{len(logs)} logs written to {OUT}")


if __name__ == "__main__":
    main()
