"""Cleaning a CI job log: what runners add is stripped, command starts are found."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from grimoire.core.joblog import clean_log, read_job_log

GITHUB = (
    "2024-05-01T10:00:00.1234567Z ##[group]Run pytest -q\n"
    "2024-05-01T10:00:00.1234567Z pytest -q\n"
    "2024-05-01T10:00:00.1234567Z shell: /usr/bin/bash -e {0}\n"
    "2024-05-01T10:00:00.1234567Z ##[endgroup]\n"
    "2024-05-01T10:00:01.0000000Z \x1b[31mE   assert 1 == 2\x1b[0m\n"
    "2024-05-01T10:00:02.0000000Z ##[error]Process completed with exit code 1.\n"
)
GITLAB = (
    "section_start:1701612000:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting step\x1b[0;m\n"
    "\x1b[32;1m$ make\x1b[0;m\n"
    "main.c:1:1: error: expected ';'\n"
    "section_end:1701612001:step_script\r\x1b[0K\n"
    "\x1b[31;1mERROR: Job failed: exit code 2\x1b[0;m\n"
)
JENKINS = (
    "[Pipeline] node\n"
    "[Pipeline] {\n"
    "[Pipeline] sh\n"
    "[2024-05-01T10:00:00.123Z] + ./build.sh\n"
    "[2024-05-01T10:00:01.456Z] build.sh: line 3: $'\\r': command not found\n"
    "[Pipeline] }\n"
    "ERROR: script returned exit code 127\n"
    "Finished: FAILURE\n"
)


def test_github_actions_markers_and_timestamps_are_stripped() -> None:
    job = read_job_log(GITHUB)
    assert job.lines[:5] == [
        "$ pytest -q",
        "pytest -q",
        "shell: /usr/bin/bash -e {0}",
        "E   assert 1 == 2",
        "Process completed with exit code 1.",
    ]
    assert job.commands == (0,)


def test_gitlab_sections_and_colours_are_stripped() -> None:
    job = read_job_log(GITLAB)
    assert "section_start" not in "\n".join(job.lines)
    assert "\x1b" not in "\n".join(job.lines)
    assert job.lines[job.commands[0]] == "$ make"
    assert "ERROR: Job failed: exit code 2" in job.lines


def test_jenkins_pipeline_lines_and_timestamper_are_stripped() -> None:
    job = read_job_log(JENKINS)
    assert job.lines[:2] == ["+ ./build.sh", "build.sh: line 3: $'\\r': command not found"]
    assert not any(line.startswith("[Pipeline]") for line in job.lines)
    assert job.commands == (0,)
    assert job.command_of(1) == 0 and job.command_of(0) == 0
    assert job.next_command(0) is None


def test_what_runners_run_after_a_failure_is_marked() -> None:
    gitlab = (
        "$ python job.py\nKeyError: 'region'\nsection_end:1:step_script\r\x1b[0K\n"
        "section_start:2:after_script\r\x1b[0K\x1b[0K\x1b[36;1mRunning after_script\x1b[0;m\n"
        "\x1b[32;1mRunning after script...\x1b[0;m\n$ docker logs app\n"
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\n"
        "section_end:3:after_script\r\x1b[0K\nERROR: Job failed: exit code 1\n"
    )
    job = read_job_log(gitlab)
    assert job.after is not None and job.lines[job.after] == "Running after_script"
    jenkins = (
        "[Pipeline] sh\n+ python job.py\nKeyError: 'region'\n[Pipeline] }\n"
        "[Pipeline] // stage\n[Pipeline] stage\n[Pipeline] { (Declarative: Post Actions)\n"
        "[Pipeline] sh\n+ docker logs app\nCannot connect to the Docker daemon\n"
        "[Pipeline] End of Pipeline\nERROR: script returned exit code 1\n"
    )
    job = read_job_log(jenkins)
    assert job.after is not None and job.lines[job.after] == "(Declarative: Post Actions)"
    assert job.lines[job.after + 1] == "+ docker logs app"
    assert read_job_log(GITHUB).after is None


def test_tput_resets_leave_nothing_behind() -> None:
    tinted = "\x1b[31mKeyError: 'timeout'\x1b(B\x1b[m\n\x1b[1mdone\x1b(B\x1b[m\n"
    assert clean_log(tinted) == "KeyError: 'timeout'\ndone\n"


def test_lines_before_any_command_belong_to_none() -> None:
    job = read_job_log("setup\n$ one\nout\n+ two\nout\n")
    assert job.commands == (1, 3)
    assert [job.command_of(i) for i in range(5)] == [-1, 1, 1, 3, 3]
    assert job.next_command(2) == 3


@given(st.text())
def test_cleaning_never_raises_and_leaves_no_carriage_return(text: str) -> None:
    cleaned = clean_log(text)
    assert "\r" not in cleaned
    job = read_job_log(text)
    assert all(0 <= c < len(job.lines) for c in job.commands)
    assert list(job.commands) == sorted(set(job.commands))
