"""A directive run by the real Claude Code CLI (runtime `claude`) from start to pull request.

The daemon of the test stack runs `claude -p` for every step, against the local fake
Messages API (tests/fakes/anthropic_server.py): the "model" follows the `fake-model:` line
in the step's task plan, so the CLI really calls its Write tool in the worktree. The rest is
the production path: commit and push, verifiers, evaluation, dispatch of the dependent step
from its dependency's branch, completion and the PR on the local forge.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.fakes.anthropic_server import FakeAnthropicServer
from tests.integration.lifecycle.helpers import (
    create_directive,
    event_log,
    pull_request,
    start,
    tasks,
    wait_status,
)
from tests.support.claude_cli import find_claude
from tests.support.sample_repo import git, make_sample_repo


def _plan(path: str, content: str, say: str) -> str:
    model = {"tools": [{"write": {"path": path, "content": content}}], "say": say}
    return f"Write {path}.\n\nfake-model: {json.dumps(model)}\n"


def test_claude_sessions_take_a_directive_to_a_pull_request(
    stack: httpx.Client, fake_anthropic: FakeAnthropicServer, tmp_path: Path
) -> None:
    assert find_claude() is not None, "the Claude Code CLI is not installed (.ci/run installs it)"
    repo = make_sample_repo(tmp_path / "repo")
    greet = "def greet() -> str:\n    return 'hi'\n"
    farewell = "from calc.greet import greet\n\n\ndef farewell() -> str:\n    return greet() + ', bye'\n"
    plan = [
        {"name": "greet", "task_plan": _plan("calc/greet.py", greet, "greet written")},
        {"name": "farewell", "depends_on": ["greet"],
         "task_plan": _plan("calc/farewell.py", farewell, "farewell written")},
    ]
    directive_id = create_directive(
        stack, repo, plan, agent={"runtime": "claude", "session_timeout_seconds": 120}
    )["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"}, timeout=180)
    assert final["directive"]["status"] == "completed", event_log(stack, directive_id)

    executed = [t for t in tasks(stack, directive_id) if t["kind"] == "execute"]
    assert sorted((t["status"], t["runtime"]) for t in executed) == [("done", "claude")] * 2
    assert all(t["session_id"] for t in executed)
    # The dependent step started from its dependency's branch: the CLI saw greet.py there.
    [second] = [t for t in executed if t["base_ref"] != "main"]
    assert second["base_ref"] == next(s["branch"] for s in final["steps"] if s["name"] == "greet")
    assert fake_anthropic.requests_mentioning("farewell written")

    pr = pull_request(stack, directive_id)
    assert pr is not None and pr["forge"] == "local"
    branch = final["directive"]["pr_branch"]
    assert git(repo, "show", f"refs/heads/{branch}:calc/farewell.py") == farewell.rstrip("\n")
    assert git(repo, "show", f"refs/heads/{branch}:calc/greet.py") == greet.rstrip("\n")
