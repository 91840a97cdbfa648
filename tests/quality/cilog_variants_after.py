"""The fourth tuning batch's fifth round: steps the runner runs after the failure.

Runners go on after a failing command: GitLab runs the job's ``after_script``, Jenkins a
pipeline's ``post { always { … } }`` actions, GitHub Actions the steps marked ``if: always()``.
What they print (a ``docker logs`` without a daemon, a ``git describe`` outside a repository,
a report file that was never written) comes after the failure, often with errors a spell
knows, but did not fail the job. Each case is a failing step and an after step, both run for
real; each is written once per runner, the after step where that runner prints it.

Run with the batch: ``python -m tests.quality.cilog_variants``.
"""

from __future__ import annotations

import random
from typing import Any

from tests.quality.cilog_steps import NOISE, PY, Case, Step
from tests.quality.cilogs import WRAPPERS, Run, _Clock, _command_of, _job_steps, _scrub

_NO_DOCKER = "docker -H unix:///tmp/grimoire-no-docker.sock"
_PASSING = "".join(f"def test_fine_{i}():\n    assert {i} + 1 > {i}\n\n" for i in range(15))


def _step(name: str, ecosystem: str, files: dict[str, str], command: str) -> Step:
    return Step(name, files, command, ecosystem)


AFTER: dict[str, Step] = {
    step.name: step
    for step in (
        _step("after_docker_logs", "any", {}, f"{_NO_DOCKER} logs app 2>&1 || true"),
        _step("after_junit_report", "any", {}, "cat reports/junit.xml 2>&1 || true"),
        _step("after_coverage_ls", "any", {}, "ls coverage 2>&1 || true"),
        _step(
            "after_git_describe",
            "any",
            {},
            "mkdir -p /tmp/grimoire-nogit && cd /tmp/grimoire-nogit && "
            "git describe --tags 2>&1 || true",
        ),
        _step(
            "after_report_json",
            "any",
            {},
            f"{PY} -c \"import json; json.load(open('target/report.json'))\" 2>&1 || true",
        ),
        _step(
            "after_notify_refused",
            "any",
            {},
            f"{PY} -c \"import urllib.request as u; u.urlopen('http://127.0.0.1:9/notify')\""
            " 2>&1 || true",
        ),
    )
}


def after_cases() -> list[tuple[Case, str]]:
    """The fifth round: (failing case, after step name)."""
    return [
        (
            Case(
                "z_py_keyerror_then_docker_logs",
                "Missing dictionary key",
                _step(
                    "z_py_keyerror_then_docker_logs",
                    "python",
                    {"job.py": "cfg = {}\nprint(cfg['region'])\n"},
                    f"{PY} job.py 2>&1",
                ),
            ),
            "after_docker_logs",
        ),
        (
            Case(
                "z_pytest_assert_then_junit",
                "Test assertion failed",
                _step(
                    "z_pytest_assert_then_junit",
                    "python",
                    {"tests/test_t.py": _PASSING + "def test_sum():\n    assert sum([1]) == 2\n"},
                    f"{PY} -m pytest -q -p no:cacheprovider tests 2>&1",
                ),
            ),
            "after_junit_report",
        ),
        (
            Case(
                "z_node_undefined_then_coverage",
                "Cannot read properties of undefined",
                _step(
                    "z_node_undefined_then_coverage",
                    "node",
                    {"app.js": "const cfg = {};\nconsole.log(cfg.server.port);\n"},
                    "node app.js 2>&1",
                ),
            ),
            "after_coverage_ls",
        ),
        (
            Case(
                "z_c_undeclared_then_git_describe",
                "Undeclared identifier",
                _step(
                    "z_c_undeclared_then_git_describe",
                    "c",
                    {"main.c": "int main(void) {\n  return total_count;\n}\n"},
                    "gcc -Wall -c main.c 2>&1",
                ),
            ),
            "after_git_describe",
        ),
        (
            Case(
                "z_rust_mismatch_then_report",
                "Rust mismatched types",
                _step(
                    "z_rust_mismatch_then_report",
                    "rust",
                    {
                        "Cargo.toml": '[package]\nname = "tool"\nversion = "0.1.0"\n'
                        'edition = "2021"\n',
                        "src/main.rs": 'fn main() {\n    let n: u8 = "1";\n    println!("{}", n);\n}\n',  # noqa: E501
                    },
                    "cargo build --offline 2>&1",
                ),
            ),
            "after_report_json",
        ),
        (
            Case(
                "z_go_test_fail_then_notify",
                "Go test failed",
                _step(
                    "z_go_test_fail_then_notify",
                    "go",
                    {
                        "go.mod": "module example.com/app\n\ngo 1.19\n",
                        "a_test.go": 'package app\n\nimport "testing"\n\n'
                        'func TestA(t *testing.T) { t.Errorf("want 2, got %d", 1) }\n',
                    },
                    "go test ./... 2>&1",
                ),
            ),
            "after_notify_refused",
        ),
        (
            Case(
                "z_neg_custom_exit_then_docker_logs",
                None,
                _step(
                    "z_neg_custom_exit_then_docker_logs",
                    "python",
                    {
                        "gate.py": "import sys\nprint('smoke test: 2 of 5 endpoints unhealthy')\n"
                        "sys.exit(3)\n"
                    },
                    f"{PY} gate.py 2>&1",
                ),
            ),
            "after_docker_logs",
        ),
        (
            Case(
                "z_neg_shell_check_then_git_describe",
                None,
                _step(
                    "z_neg_shell_check_then_git_describe",
                    "shell",
                    {},
                    "echo 'bundle size 412 kB exceeds the 400 kB budget'; exit 1",
                ),
            ),
            "after_git_describe",
        ),
    ]


def _after_lines(runner: str, step: Step, run: Run) -> list[str]:
    """The lines a runner prints for a step it runs after the failure."""
    output = run.output.rstrip("\n").split("\n")
    command = _command_of(step)
    if runner == "github":  # an `if: always()` step
        return [
            f"##[group]Run {command}",
            command,
            "shell: /usr/bin/bash -e {0}",
            "##[endgroup]",
            *output,
        ]
    if runner == "gitlab":
        return [
            "section_start:1764770500:after_script\r\x1b[0K\x1b[0K\x1b[36;1mRunning after_script\x1b[0;m",  # noqa: E501
            "\x1b[32;1mRunning after script...\x1b[0;m",
            f"\x1b[32;1m$ {command}\x1b[0;m",
            *output,
            "section_end:1764770501:after_script\r\x1b[0K",
        ]
    return [
        "[Pipeline] stage",
        "[Pipeline] { (Declarative: Post Actions)",
        "[Pipeline] sh",
        f"+ {command}",
        *output,
        "[Pipeline] }",
        "[Pipeline] // stage",
    ]


def wrap_with_after(
    runner: str, steps: list[tuple[Step, Run]], after: tuple[Step, Run], rng: random.Random
) -> str:
    """Write a failing job as ``runner`` prints it, with the after step where it runs."""
    text = WRAPPERS[runner](steps, _Clock(rng))
    lines = text.rstrip("\n").split("\n")
    if runner == "github":
        at = next(i for i, line in enumerate(lines) if "##[error]Process completed" in line) + 1
        stamp = lines[at - 1].split(" ", 1)[0] + " "
        extra = [stamp + line for line in _after_lines(runner, *after)]
    elif runner == "gitlab":
        at = next(i for i, line in enumerate(lines) if "cleanup_file_variables" in line)
        extra = _after_lines(runner, *after)
    else:
        at = next(i for i, line in enumerate(lines) if line.endswith("[Pipeline] // stage")) + 1
        # Jenkins' Timestamper stamps every line but the pipeline's own, when it is on.
        stamp = next((line.split("] ", 1)[0] + "] " for line in lines if line[:3] == "[20"), "")
        extra = [
            line if line.startswith("[Pipeline]") else stamp + line
            for line in _after_lines(runner, *after)
        ]
    return _scrub("\n".join(lines[:at] + extra + lines[at:]) + "\n")


def after_steps() -> dict[str, Step]:
    """Every step the round runs: the failing steps and the after steps."""
    return {**{case.step.name: case.step for case, _ in after_cases()}, **AFTER}


def after_logs(runs: dict[str, Run]) -> list[dict[str, Any]]:
    """Write each case once per runner, from the runs of its steps (and the noise)."""
    logs: list[dict[str, Any]] = []
    for case, after in after_cases():
        if runs[case.step.name].status == 0:
            continue
        for runner in ("github", "gitlab", "jenkins"):
            name = f"{case.name}#{runner}"
            rng = random.Random(name)
            steps = [
                (NOISE[s], runs[s])
                for s in _job_steps(name, case.step.ecosystem, rng)
                if runs[s].status == 0
            ]
            steps.append((case.step, runs[case.step.name]))
            text = wrap_with_after(runner, steps, (AFTER[after], runs[after]), rng)
            logs.append(
                {
                    "name": name,
                    "expected": case.expected,
                    "runner": runner,
                    "ecosystem": case.step.ecosystem,
                    "held_out": False,
                    "tuning_only": True,
                    "lines": text.count("\n"),
                    "log": text,
                }
            )
    return logs
