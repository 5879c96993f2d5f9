"""`makima demo` end to end, run as a user would: one command, its own stack, its output.

The demo starts the embedded stack under its own state directory, so it runs in a child
process with the test session's database and broker URLs removed from its environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.embedded import EmbeddedPostgres, EmbeddedRedis
from orchestrator.processes import free_port, port_in_use
from orchestrator.stack_layout import LOCK_FILE
from tests.support.stack_state import recorded_pids, stack_state_dir

pytestmark = pytest.mark.integration

MAKIMA = ("-c", "from orchestrator.cli.main import main; main()")


def _env(state: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKIMA_")}
    env.update(MAKIMA_HOME=str(state), PYTHONUNBUFFERED="1")
    return env


@pytest.fixture()
def state() -> Iterator[Path]:
    with stack_state_dir("makima-test-demo-") as path:
        yield path


def test_the_demo_takes_the_sample_goal_to_a_green_pull_request(
    state: Path, tmp_path: Path
) -> None:
    port = free_port()
    work = tmp_path / "work"
    run = subprocess.run(
        [sys.executable, *MAKIMA, "demo", "--state-dir", str(state), "--work-dir", str(work),
         "--port", str(port), "--no-live", "--timeout", "240"],
        env=_env(state), capture_output=True, text=True, timeout=290, check=False,
    )
    out = run.stdout
    assert run.returncode == 0, f"stdout:\n{out}\nstderr:\n{run.stderr}"
    assert "\x1b[" not in out  # --no-live: plain lines only
    assert "runtime `scripted`" in out and "no model is called" in out

    # Parallel steps, the dependent ones, and the rework of word-stats with its failing test.
    assert re.search(r"step +slugify: ready → running \(attempt 1 dispatched\)", out)
    assert re.search(r"step +word-stats: ready → running \(attempt 1 dispatched\)", out)
    assert re.search(r"REWORK +word-stats: evaluating → pending \(rework 1 of 2: .*\): "
                     r"FAILED tests/test_stats\.py::", out)
    assert re.search(r"step +word-stats: ready → running \(attempt 2 dispatched\)", out)
    # What the agent did, with worktree paths shown relative to the worktree.
    assert re.search(r'agent +word-stats: tool_use Write \{"file_path": "textkit/stats\.py"\}', out)
    assert re.search(r"  word-stats  -  +✓ passed  2 \(1 rework\)  \$0\.06", out)
    assert re.search(r"  report      toc, word-stats  ✓ passed  1 ", out)
    assert re.search(r"merge +completion round 1: merging 4 step branches onto main", out)
    assert re.search(r"merge gate +merge gate green on [0-9a-f]+: passed: pytest", out)

    # The report: the PR, its diff stats, and the tests of a clone of the merged branch.
    assert "pull request #1 on the local forge" in out
    branch = re.search(r"branches +(makima/directive-textkit-\S+) → main", out)
    assert branch is not None, out
    assert re.search(rf"url +http://127\.0\.0\.1:{port}/api/v1/directives/\S+/pull-request", out)
    assert re.search(r"diff +11 files changed, \+\d+ -\d+", out)
    assert re.search(r"rework +word-stats: 2 attempts; attempt 1 was sent back for FAILED "
                     r"tests/test_stats\.py::", out)
    assert re.search(r"result +13 passed$", out, re.MULTILINE)
    assert out.rstrip().endswith("stopping the stack ...\nstopped.")

    [run_dir] = work.iterdir()
    origin, merged = run_dir / "origin.git", run_dir / "merged"
    heads = subprocess.run(["git", "-C", str(origin), "branch", "--list", "makima/directive-*"],
                           capture_output=True, text=True, check=True).stdout.split()
    assert heads == [branch.group(1)]
    assert (merged / "textkit" / "report.py").is_file()

    # Everything it started is stopped again.
    assert recorded_pids(state) == []
    assert EmbeddedPostgres(state).pid is None
    assert EmbeddedRedis(state).pid is None
    assert not port_in_use(port)


def test_claude_without_its_cli_or_key_is_refused_before_anything_starts(state: Path) -> None:
    env = _env(state)
    env.pop("ANTHROPIC_API_KEY", None)
    env["MAKIMA_CLAUDE_PATH"] = str(state / "no-such-claude")
    run = subprocess.run(
        [sys.executable, *MAKIMA, "demo", "--runtime", "claude", "--state-dir", str(state)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert run.returncode == 2, run.stderr
    assert run.stderr.splitlines() == [
        f"error: MAKIMA_CLAUDE_PATH={state / 'no-such-claude'} is not an executable file",
        "ANTHROPIC_API_KEY is not set: the real agent needs an API key",
    ]
    assert not (state / LOCK_FILE).exists()  # no stack was started
