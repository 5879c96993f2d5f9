"""What `makima demo` checks before it starts, and how it reads the merged branch's tests."""

from __future__ import annotations

import stat
from pathlib import Path

from orchestrator.demo.merged import SuiteResult, parse_pytest_counts, run_tests
from orchestrator.demo.preflight import claude_executable, runtime_problems, tool_problems


def nothing(_name: str) -> str | None:
    return None


def everything(name: str) -> str:
    return f"/usr/bin/{name}"


def test_the_scripted_runtime_needs_no_claude_and_no_key() -> None:
    assert runtime_problems("scripted", {}, nothing) == []


def test_claude_needs_the_cli_and_an_api_key() -> None:
    problems = runtime_problems("claude", {}, nothing)
    assert len(problems) == 2
    assert problems[0].startswith("the Claude Code CLI is not installed")
    assert problems[1].startswith("ANTHROPIC_API_KEY is not set")
    assert runtime_problems("claude", {"ANTHROPIC_API_KEY": "k"}, everything) == []
    assert runtime_problems("claude", {"ANTHROPIC_API_KEY": "  "}, everything) == [problems[1]]


def test_makima_claude_path_wins_and_must_be_an_executable_file(tmp_path: Path) -> None:
    fake = tmp_path / "claude"
    fake.write_text("#!/bin/sh\n")
    env = {"MAKIMA_CLAUDE_PATH": str(fake), "ANTHROPIC_API_KEY": "k"}
    assert runtime_problems("claude", env, everything) == [
        f"MAKIMA_CLAUDE_PATH={fake} is not an executable file"
    ]
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    assert claude_executable(env, nothing) == str(fake)
    assert runtime_problems("claude", env, nothing) == []


def test_git_and_pytest_are_needed() -> None:
    assert tool_problems(everything, has_pytest=True) == []
    problems = tool_problems(nothing, has_pytest=False)
    assert problems[0] == "git is not installed (or not on PATH)"
    assert problems[1].startswith("pytest is not installed in this Python")


def test_pytest_summary_lines_are_counted() -> None:
    assert parse_pytest_counts("....\n13 passed in 0.05s\n") == (
        {"passed": 13}, "13 passed in 0.05s"
    )
    assert parse_pytest_counts("F.\n==== 1 failed, 12 passed, 1 warning in 0.1s ====\n") == (
        {"failed": 1, "passed": 12, "warnings": 1}, "1 failed, 12 passed, 1 warning in 0.1s"
    )
    assert parse_pytest_counts("E\n1 error in 0.2s") == ({"errors": 1}, "1 error in 0.2s")
    assert parse_pytest_counts("\nno tests ran in 0.01s\n") == ({}, "no tests ran in 0.01s")
    assert parse_pytest_counts("Traceback ...\nImportError: x") == ({}, "")


def test_a_suite_is_green_only_with_passes_and_no_failure() -> None:
    command = ("python", "-m", "pytest")
    assert SuiteResult(command, 0, {"passed": 3}).describe() == "3 passed"
    assert SuiteResult(command, 0, {"passed": 3}).green
    red = SuiteResult(command, 1, {"passed": 3, "failed": 1})
    assert (red.green, red.describe()) == (False, "1 failed, 3 passed (exit 1)")
    empty = SuiteResult(command, 5, {}, summary="no tests ran in 0.01s")
    assert (empty.green, empty.describe()) == (False, "no tests ran in 0.01s (exit 5)")
    assert not SuiteResult(command, None).green


def test_run_tests_reports_a_red_suite_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "test_it.py").write_text(
        "def test_ok() -> None:\n    pass\n\n\ndef test_bad() -> None:\n    assert 1 == 2\n"
    )
    result = run_tests(tmp_path)
    assert (result.exit_code, dict(result.counts)) == (1, {"failed": 1, "passed": 1})
    assert "test_bad" in result.output_tail
