"""The `claude` runtime: the real Claude Code CLI in headless stream-json mode.

    claude -p --output-format stream-json --verbose --permission-mode bypassPermissions
           [--model M] [--max-turns N] [--append-system-prompt S] [--resume SESSION]

The prompt goes on stdin (`-p` reads it there): no ARG_MAX limit, and the prompt does not
show in `ps`. The CLI gets its own HOME per daemon (`<work_dir>/claude-home` unless
configured), where it keeps `~/.claude/projects/<cwd-slug>/<session>.jsonl`.

Resuming: the CLI finds a session only under the same HOME and working directory. The
daemon keeps a step's worktree path stable across attempts (see workers.worktrees), so a
retry on the same daemon resumes in place. If the session file sits under another project
directory, it is copied into the current one first. If this daemon has never seen the
session (the retry landed on another machine), the session starts afresh and says so in
an output event instead of failing.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from workers.config import DaemonSettings
from workers.errors import RuntimeUnavailableError
from workers.runtimes.base import AgentEvent, AgentRequest
from workers.runtimes.streamjson import AgentCommand, StreamJsonRuntime

_SESSION_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")

QUIET_ENV = {
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "DISABLE_AUTOUPDATER": "1",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
}


def project_dir(home: Path, cwd: Path) -> Path:
    """Where the CLI keeps the sessions of `cwd`: every non-alphanumeric becomes `-`."""
    return home / ".claude" / "projects" / re.sub(r"[^A-Za-z0-9]", "-", str(cwd))


def prepare_resume(home: Path, session_id: str, cwd: Path) -> bool:
    """Make `session_id` resumable from `cwd`; False if this HOME has never seen it."""
    if not _SESSION_ID_RE.match(session_id):
        return False
    target = project_dir(home, cwd) / f"{session_id}.jsonl"
    if target.exists():
        return True
    found = sorted((home / ".claude" / "projects").glob(f"*/{session_id}.jsonl"))
    if not found:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found[-1], target)
    return True


class ClaudeRuntime(StreamJsonRuntime):
    name = "claude"

    def __init__(
        self,
        *,
        claude_path: str | None,
        home: Path,
        kill_grace_seconds: float,
        default_model: str | None = None,
        default_max_turns: int | None = None,
    ) -> None:
        super().__init__(kill_grace_seconds)
        self.claude_path = claude_path
        self.home = home
        self.default_model = default_model
        self.default_max_turns = default_max_turns

    @classmethod
    def from_settings(cls, settings: DaemonSettings) -> ClaudeRuntime:
        return cls(
            claude_path=settings.resolved_claude_path(),
            home=settings.resolved_claude_home,
            kill_grace_seconds=settings.kill_grace_seconds,
            default_model=settings.default_model,
            default_max_turns=settings.default_max_turns,
        )

    def executable(self) -> str | None:
        if self.claude_path:
            path = Path(self.claude_path)
            return str(path) if path.is_file() and os.access(path, os.X_OK) else None
        return shutil.which("claude")

    def is_available(self) -> bool:
        return self.executable() is not None

    def command(self, request: AgentRequest) -> AgentCommand:
        executable = self.executable()
        if executable is None:
            raise RuntimeUnavailableError("the Claude Code CLI was not found")
        argv = [executable, "-p", "--output-format", "stream-json", "--verbose",
                "--permission-mode", "bypassPermissions"]
        model = request.model or self.default_model
        if model:
            argv += ["--model", model]
        max_turns = request.max_turns or self.default_max_turns
        if max_turns:
            argv += ["--max-turns", str(max_turns)]
        if request.system_prompt:
            argv += ["--append-system-prompt", request.system_prompt]
        notes: tuple[AgentEvent, ...] = ()
        self.home.mkdir(parents=True, exist_ok=True)
        if request.resume_session_id:
            if prepare_resume(self.home, request.resume_session_id, request.cwd):
                argv += ["--resume", request.resume_session_id]
            else:
                notes = (AgentEvent(
                    "system",
                    f"session {request.resume_session_id} is unknown on this daemon; "
                    "starting a new session",
                    {"subtype": "resume_unavailable"},
                ),)
        env = dict(request.env)
        env.update(QUIET_ENV)
        env["HOME"] = str(self.home)
        if request.scratch_dir is not None:
            env["CLAUDE_CODE_TMPDIR"] = str(request.scratch_dir)
        if os.geteuid() == 0:
            env["IS_SANDBOX"] = "1"  # bypassPermissions is refused as root otherwise
        return AgentCommand(argv=argv, env=env, stdin_text=request.prompt, notes=notes)
