"""Roles in a CI log: the failure, its consequences, and warnings and tolerated errors."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from grimoire.core.matching import compile_spellbook
from grimoire.core.rootcause import ROLES, Finding, read_log
from grimoire.spellbook import load_starter_spellbook

STARTER = compile_spellbook(d.record(i) for i, d in enumerate(load_starter_spellbook(), 1))

PIP_RETRY = (
    "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) "
    "after connection broken by 'ReadTimeoutError(\"HTTPSConnectionPool(host='pypi.org', "
    "port=443): Read timed out. (read timeout=15)\")': /simple/requests/\n"
)
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "app.py", line 2, in <module>\n'
    "    print(config['port'])\n"
    "KeyError: 'port'\n"
)


def gha(*steps: tuple[str, str], status: int = 1) -> str:
    """A GitHub Actions log of steps (command, output); the last one fails."""
    lines = []
    for command, output in steps:
        lines += [f"##[group]Run {command}", command, "##[endgroup]", *output.splitlines()]
    lines.append(f"##[error]Process completed with exit code {status}.")
    return "\n".join(f"2024-05-01T10:00:00.0000000Z {line}" for line in lines) + "\n"


def roles(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.role, f.payload.error_type) for f in findings]


def test_a_retry_warning_is_not_the_failure() -> None:
    log = gha(
        ("pip install requests", PIP_RETRY + "Successfully installed requests-2.31.0\n"),
        ("python app.py", TRACEBACK),
    )
    found = read_log(log, STARTER)
    assert found[0].role == "failure" and found[0].payload.error_type == "KeyError"
    assert found[0].why == "last error before `Process completed with exit code 1.`"
    assert [f.role for f in found if "Retrying" in f.payload.message] in ([], ["warning"])
    assert found[-1].role in ("consequence", "warning")
    exit_line = next(f for f in found if f.payload.error_type == "ProcessExit")
    assert exit_line.role == "consequence" and exit_line.why.startswith("follows from `KeyError")


def test_an_error_the_job_went_on_from_was_tolerated() -> None:
    mkdir = "mkdir: cannot create directory ‘/var/cache/app’: Permission denied\n"
    log = gha(("mkdir /var/cache/app || true", mkdir), ("python app.py", TRACEBACK))
    found = read_log(log, STARTER)
    assert found[0].payload.error_type == "KeyError"
    tolerated = [f for f in found if "mkdir" in f.payload.message]
    assert tolerated and tolerated[0].role == "warning"
    assert tolerated[0].why.startswith("tolerated: the job went on after it")


def test_an_install_fixed_by_its_retry_causes_nothing() -> None:
    eresolve = (
        "npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve dependency tree\n"
        "retrying with --legacy-peer-deps\n\nadded 6 packages in 681ms\n"
    )
    missing = (
        "node:internal/modules/cjs/loader:1228\n  throw err;\n  ^\n\n"
        "Error: Cannot find module './config'\nRequire stack:\n- /app/index.js\n"
        "    at Module._resolveFilename (node:internal/modules/cjs/loader:1225:15)\n"
    )
    found = read_log(gha(("npm install", eresolve), ("node index.js", missing)), STARTER)
    assert found[0].payload.message.startswith("Cannot find module")
    assert next(f for f in found if f.payload.error_type == "NpmError").role == "warning"


def test_a_failed_install_is_the_cause_of_the_import_errors() -> None:
    pip = (
        "ERROR: Could not find a version that satisfies the requirement requests==0.0.999\n"
        "ERROR: No matching distribution found for requests==0.0.999\n"
    )
    pytest_out = (
        "==================================== ERRORS ====================================\n"
        "____________________ ERROR collecting tests/test_client.py _____________________\n"
        "ImportError while importing test module '/app/tests/test_client.py'.\n"
        "tests/test_client.py:1: in <module>\n    import requests\n"
        "E   ModuleNotFoundError: No module named 'requests'\n"
        "=========================== short test summary info ============================\n"
        "ERROR tests/test_client.py\n"
    )
    found = read_log(gha(("pip install -r req.txt; pytest", pip + pytest_out)), STARTER)
    assert found[0].role == "failure" and found[0].payload.error_type == "PipError"
    assert found[0].why.startswith("root cause")
    effect = next(f for f in found if f.payload.error_type == "ModuleNotFoundError")
    assert effect.role == "consequence" and effect.why.startswith("follows from `PipError")


def test_conflict_markers_come_before_the_syntax_error_they_cause() -> None:
    out = (
        '  File "/app/app.py", line 2\n    <<<<<<< HEAD\n    ^\n'
        "IndentationError: expected an indented block after function definition on line 1\n"
    )
    found = read_log(gha(("python app.py", out)), STARTER)
    assert roles(found)[:2] == [("failure", "MergeConflict"), ("consequence", "IndentationError")]
    assert found[0].payload.message == "<<<<<<< HEAD"


def test_conflict_markers_a_compiler_quotes_under_its_error_are_the_cause() -> None:
    out = (
        "Main.java:3: error: illegal start of expression\n<<<<<<< HEAD\n^\n"
        "Main.java:5: error: illegal start of expression\n=======\n^\n"
        "Main.java:7: error: ';' expected\n>>>>>>> feature/retry\n                     ^\n"
        "3 errors\n"
    )
    found = read_log(gha(("javac Main.java", out)), STARTER)
    assert roles(found)[0] == ("failure", "MergeConflict")
    assert found[0].payload.message == "<<<<<<< HEAD"
    assert all(f.role == "consequence" for f in found if f.payload.error_type == "CompileError")


def test_pytest_e_line_and_its_summary_are_one_error() -> None:
    out = (
        "    def test_total():\n>       assert total([10, 20]) == 30\n"
        "E       assert 36.0 == 30\nE        +  where 36.0 = total([10, 20])\n\n"
        "tests/test_price.py:7: AssertionError\n"
        "=========================== short test summary info ============================\n"
        "FAILED tests/test_price.py::test_total - assert 36.0 == 30\n"
    )
    found = read_log(gha(("pytest", out)), STARTER)
    failures = [f for f in found if f.role == "failure"]
    assert [f.payload.message for f in failures] == ["assert 36.0 == 30"]
    assert "where 36.0" in failures[0].payload.stack_trace  # the richer of the two is kept


def test_make_and_the_exit_code_follow_from_the_compiler_error() -> None:
    out = (
        "cc -Wall -o app main.c\n"
        "main.c: In function ‘main’:\n"
        "main.c:3:18: error: ‘count’ undeclared (first use in this function)\n"
        '    3 |   printf("%d\\n", count);\n'
        "make: *** [Makefile:2: app] Error 1\n"
    )
    found = read_log(gha(("make", out), status=2), STARTER)
    assert roles(found) == [
        ("failure", "CompileError"),
        ("consequence", "MakeError"),
        ("consequence", "ProcessExit"),
    ]
    assert found[0].why == "first compiler error before `Process completed with exit code 2.`"


def test_a_handled_trace_in_output_that_went_on_is_not_the_failure() -> None:
    handled = (
        "ERROR:sync:metrics endpoint down, skipping\nTraceback (most recent call last):\n"
        '  File "job.py", line 5, in <module>\n'
        "ConnectionRefusedError: [Errno 111] Connection refused\n"
        "syncing batch 1\nsyncing batch 2\n"
    )
    found = read_log(gha(("python job.py", handled + TRACEBACK)), STARTER)
    assert found[0].payload.error_type == "KeyError"
    refused = next(f for f in found if f.payload.error_type == "ConnectionRefusedError")
    assert refused.role == "warning"
    assert refused.why == "handled: a logged exception, the program went on after it"


def test_a_logged_trace_the_program_went_on_from_is_not_the_failure_even_alone() -> None:
    handled = (
        "2024-05-01 10:00:01,200 ERROR retrying in 1s\nTraceback (most recent call last):\n"
        '  File "job.py", line 5, in <module>\n'
        "ConnectionRefusedError: [Errno 111] Connection refused\n"
        "connected\ncoverage 71% is below the required 80%\n"
    )
    found = read_log(gha(("python job.py", handled)), STARTER)
    assert roles(found)[0] == ("failure", "ProcessExit")
    refused = next(f for f in found if f.payload.error_type == "ConnectionRefusedError")
    assert refused.role == "warning" and refused.why.startswith("handled: a logged exception")


def test_a_logged_trace_the_program_stopped_on_is_the_failure() -> None:
    logged = "ERROR:deploy:cannot read the deploy token\n" + TRACEBACK
    found = read_log(gha(("python deploy.py", logged)), STARTER)
    assert roles(found)[0] == ("failure", "KeyError")


def test_a_failed_install_its_command_went_on_from_is_not_the_failure() -> None:
    out = (
        "ERROR: Could not find a version that satisfies the requirement six==1.16.0\n"
        "ERROR: No matching distribution found for six==1.16.0\n"
        "uploading report\nupload rejected: report exceeds 5 MB\n"
    )
    found = read_log(gha(("pip download six; python upload.py", out)), STARTER)
    assert roles(found)[0] == ("failure", "ProcessExit")
    assert all(f.role == "warning" for f in found if "six" in f.payload.message)
    alone = read_log(gha(("pip install six", out.split("uploading")[0])), STARTER)
    assert alone[0].role == "failure" and "six" in alone[0].payload.message


def test_a_go_panic_and_its_signal_line_are_one_crash() -> None:
    out = (
        "start\npanic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x48101e]\n\n"
        "goroutine 1 [running]:\nmain.main()\n\t/app/main.go:10 +0x5e\nexit status 2\n"
    )
    found = read_log(gha(("go run .", out)), STARTER)
    assert found[0].role == "failure" and "nil pointer" in found[0].payload.message
    signal = next(f for f in found if f.payload.message.startswith("[signal SIGSEGV"))
    assert signal.role == "consequence" and signal.why.startswith("the signal of `panic")


def test_the_exception_handled_first_is_the_root_of_a_chain() -> None:
    out = TRACEBACK + (
        "\nThe above exception was the direct cause of the following exception:\n\n"
        "Traceback (most recent call last):\n"
        '  File "load.py", line 9, in <module>\n'
        "SettingsInvalid: settings could not be loaded\n"
    )
    found = read_log(gha(("python load.py", out)), STARTER)
    assert roles(found)[:2] == [("failure", "KeyError"), ("consequence", "SettingsInvalid")]
    assert found[1].why.startswith("raised while handling `KeyError")


def test_a_child_process_error_comes_before_the_parent_saying_the_child_failed() -> None:
    child = (
        "Traceback (most recent call last):\n"
        '  File "child.py", line 2, in <module>\n'
        'TypeError: can only concatenate str (not "int") to str\n'
    )
    parent = (
        "Traceback (most recent call last):\n"
        '  File "run.py", line 3, in <module>\n'
        "    subprocess.run(['python', 'child.py'], check=True)\n"
        "subprocess.CalledProcessError: Command '['python', 'child.py']' returned non-zero"
        " exit status 1.\n"
    )
    found = read_log(gha(("python run.py", "running migrations\n" + child + parent)), STARTER)
    assert roles(found)[:2] == [
        ("failure", "TypeError"),
        ("consequence", "subprocess.CalledProcessError"),
    ]
    git = "fatal: not a git repository (or any of the parent directories): .git\n"
    found = read_log(gha(("python version.py", git + parent)), STARTER)
    assert roles(found)[0] == ("failure", "GitError")
    node = (
        "node:child_process:966\n    throw err;\n    ^\n\n"
        "Error: Command failed: git describe --tags\n    at checkExecSyncError "
        "(node:child_process:891:11)\n    at Object.execSync (node:child_process:963:15)\n"
    )
    found = read_log(gha(("node version.js", git + node)), STARTER)
    assert roles(found)[0] == ("failure", "GitError")


def test_a_failing_test_comes_before_maven_saying_the_tests_failed() -> None:
    out = (
        "[INFO] Running demo.AppTest\n"
        "[ERROR] Tests run: 2, Failures: 0, Errors: 1, Skipped: 0, Time elapsed: 0.19 s"
        " <<< FAILURE! -- in demo.AppTest\n"
        "[ERROR] demo.AppTest.nul -- Time elapsed: 0.032 s <<< ERROR!\n"
        'java.lang.NullPointerException: Cannot invoke "String.length()" because "s" is null\n'
        "\tat demo.App.len(App.java:3)\n\tat demo.AppTest.nul(AppTest.java:6)\n\n"
        "[INFO] BUILD FAILURE\n"
        "[ERROR] Failed to execute goal org.apache.maven.plugins:maven-surefire-plugin:3.2.5"
        ":test (default-test) on project demo: \n"
        "[ERROR] \n[ERROR] -> [Help 1]\n"
    )
    found = read_log(gha(("mvn -B test", out)), STARTER)
    assert roles(found)[0] == ("failure", "java.lang.NullPointerException")
    assert next(f for f in found if f.payload.error_type == "MavenError").role == "consequence"


def test_a_thread_panic_comes_before_the_join_that_unwraps_it() -> None:
    out = (
        "     Running `target/debug/tool`\n"
        "thread '<unnamed>' panicked at src/main.rs:6:9:\n"
        "index out of bounds: the len is 3 but the index is 5\n"
        "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"
        "thread 'main' panicked at src/main.rs:8:29:\n"
        "called `Result::unwrap()` on an `Err` value: Any { .. }\n"
    )
    found = read_log(gha(("cargo run", out), status=101), STARTER)
    assert found[0].role == "failure" and "index out of bounds" in found[0].payload.message
    join = next(f for f in found if "Any { .. }" in f.payload.message)
    assert join.role == "consequence"


def test_a_carriage_return_causes_the_rest_of_its_command() -> None:
    out = (
        "build.sh: line 3: $'\\r': command not found\n"
        "make: *** No rule to make target 'all'.  Stop.\n"
    )
    found = read_log(gha(("bash build.sh", out), status=2), STARTER)
    assert found[0].role == "failure" and "$'\\r'" in found[0].payload.message
    assert next(f for f in found if f.payload.error_type == "MakeError").role == "consequence"


def test_commands_that_only_report_after_the_failure_did_not_fail_the_job() -> None:
    traced = (
        "+ set -e\n+ trap 'echo cleaning up; rm -rf tmp' EXIT\n+ mkdir -p tmp\n"
        "+ python -c 'import os; print(os.environ[\"TOKEN\"])'\n"
        + TRACEBACK
        + "+ echo cleaning up\ncleaning up\n+ rm -rf tmp\n"
    )
    found = read_log(gha(("bash -x ci.sh", traced)), STARTER)
    assert roles(found)[0] == ("failure", "KeyError")
    assert found[0].why == "last error before `Process completed with exit code 1.`"
    reported = TRACEBACK + "+ echo 'check failed'\ncheck failed\n+ exit 1\n"
    found = read_log(gha(("bash -x check.sh", "+ python check.py\n" + reported)), STARTER)
    assert roles(found)[0] == ("failure", "KeyError")
    # A command that can fail is still the failing one, though it printed no error.
    silent = TRACEBACK + "+ ./upload.sh\nquota check: 105% used\n"
    found = read_log(gha(("bash -x ci.sh", "+ python a.py\n" + silent)), STARTER)
    assert roles(found)[0] == ("failure", "ProcessExit")


def test_what_a_runner_runs_after_the_failure_did_not_fail_the_job() -> None:
    jenkins = (
        "[Pipeline] sh\n+ python job.py\n" + TRACEBACK + "[Pipeline] }\n[Pipeline] // stage\n"
        "[Pipeline] stage\n[Pipeline] { (Declarative: Post Actions)\n[Pipeline] sh\n"
        "+ docker logs app\nCannot connect to the Docker daemon at unix:///var/run/docker.sock."
        " Is the docker daemon running?\n[Pipeline] }\n[Pipeline] End of Pipeline\n"
        "ERROR: script returned exit code 1\nFinished: FAILURE\n"
    )
    found = read_log(jenkins, STARTER)
    assert roles(found)[0] == ("failure", "KeyError")
    docker = next(f for f in found if "Docker daemon" in f.payload.message)
    assert docker.role == "warning" and docker.why.startswith("run after the job's steps")


def test_a_failing_command_without_errors_makes_the_exit_the_failure() -> None:
    log = gha(
        ("npm install || true", "npm error code ERESOLVE\nnpm error ERESOLVE unable to resolve\n"),
        ("bash deploy.sh", "uploading\nquota check: 105% used\n"),
        status=3,
    )
    found = read_log(log, STARTER)
    assert roles(found)[0] == ("failure", "ProcessExit")
    assert "failed without an error line" in found[0].why
    assert next(f for f in found if f.payload.error_type == "NpmError").role == "warning"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                PIP_RETRY,
                TRACEBACK,
                "E   assert 1 == 2\n",
                "make: *** [all] Error 1\n",
                "main.c:1:1: error: expected ';'\n",
                "$ next command\n",
                "+ other\n",
                "plain output\n",
                "##[error]Process completed with exit code 1.\n",
                "  /x.py:3: DeprecationWarning: old\n",
                "<<<<<<< HEAD\n",
                "npm error code ERESOLVE\n",
                "ERROR: No matching distribution found for x\n",
            ]
        ),
        max_size=30,
    ),
    st.text(max_size=200),
)
def test_roles_are_total_and_failures_come_first(pieces: list[str], noise: str) -> None:
    found = read_log("".join(pieces) + noise, STARTER)
    order = [ROLES.index(f.role) for f in found]
    assert order == sorted(order)  # never a warning before a failure
    keys = [(f.payload.error_type.lower(), f.payload.message) for f in found]
    assert len(keys) == len(set(keys))  # duplicates merged
    assert all(f.why and f.line >= 1 for f in found)
