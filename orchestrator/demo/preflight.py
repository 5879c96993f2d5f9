"""What the demo needs on this machine, checked before anything starts.

Always: git (the sample repository, the daemon's worktrees) and pytest in this Python (the
daemon runs the sample's tests with it, and so does the final check). With `--runtime
claude`: the Claude Code CLI (`MAKIMA_CLAUDE_PATH`, else `claude` on PATH, as the daemon
looks for it) and `ANTHROPIC_API_KEY` (the daemon gives the CLI a HOME of its own, so a
`claude login` in your HOME is not seen).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

from orchestrator.demo.plan import CLAUDE

Which = Callable[[str], str | None]


def claude_executable(env: Mapping[str, str], which: Which = shutil.which) -> str | None:
    """The Claude Code CLI the daemon would run, or None."""
    configured = env.get("MAKIMA_CLAUDE_PATH")
    if configured:
        path = Path(configured).expanduser()
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    return which("claude")


def runtime_problems(
    runtime: str, env: Mapping[str, str], which: Which = shutil.which
) -> list[str]:
    """Why `runtime` cannot run here (empty: it can)."""
    if runtime != CLAUDE:
        return []
    problems = []
    configured = env.get("MAKIMA_CLAUDE_PATH")
    if claude_executable(env, which) is None:
        if configured:
            problems.append(
                f"MAKIMA_CLAUDE_PATH={configured} is not an executable file"
            )
        else:
            problems.append(
                "the Claude Code CLI is not installed: `npm install -g "
                "@anthropic-ai/claude-code`, or set MAKIMA_CLAUDE_PATH to its `claude`"
            )
    if not env.get("ANTHROPIC_API_KEY", "").strip():
        problems.append("ANTHROPIC_API_KEY is not set: the real agent needs an API key")
    return problems


def tool_problems(which: Which = shutil.which, has_pytest: bool | None = None) -> list[str]:
    """Why the sample cannot be built or tested here (empty: it can)."""
    problems = []
    if which("git") is None:
        problems.append("git is not installed (or not on PATH)")
    if has_pytest is None:
        has_pytest = importlib.util.find_spec("pytest") is not None
    if not has_pytest:
        problems.append(
            "pytest is not installed in this Python: the sample package is tested with it "
            "(pip install pytest)"
        )
    return problems
