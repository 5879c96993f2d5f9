"""The `scripted` runtime: runs workers.runtimes.scripted_agent as a real subprocess.

The agent speaks stream-json like Claude Code, so this runtime shares the parser, the
process-group handling and the outcome rules of `StreamJsonRuntime`; only an `is_error`
result is reported as ErrorKind.SCRIPT (the script failed on purpose or was invalid).
The script format is documented in workers.runtimes.scripted_agent and
docs/scripted-runtime.md.
"""

from __future__ import annotations

import sys

from schemas.enums import ErrorKind
from workers.config import DaemonSettings
from workers.runtimes.base import AgentRequest
from workers.runtimes.streamjson import AgentCommand, StreamJsonRuntime

AGENT_MODULE = "workers.runtimes.scripted_agent"


class ScriptedRuntime(StreamJsonRuntime):
    name = "scripted"
    is_error_kind = ErrorKind.SCRIPT

    @classmethod
    def from_settings(cls, settings: DaemonSettings) -> ScriptedRuntime:
        return cls(settings.kill_grace_seconds)

    def is_available(self) -> bool:
        return True

    def command(self, request: AgentRequest) -> AgentCommand:
        # -P: the worktree (cwd) must not shadow makima's own modules on sys.path.
        argv = [sys.executable, "-P", "-m", AGENT_MODULE]
        if request.resume_session_id:
            argv += ["--resume", request.resume_session_id]
        if request.model:
            argv += ["--model", request.model]
        env = dict(request.env)
        env["MAKIMA_ATTEMPT"] = str(request.attempt)
        return AgentCommand(argv=argv, env=env, stdin_text=request.prompt)
