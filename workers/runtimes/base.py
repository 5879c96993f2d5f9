"""The one interface every agent runtime implements.

A runtime takes an `AgentRequest` (prompt, limits, working directory, environment), reports
what the agent does as `AgentEvent`s while it runs, stops when the `StopSignal` is set, and
returns an `AgentOutcome`. It never touches git or the queue: the session does that.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from schemas.enums import ErrorKind
from workers.processes import StopReason, StopSignal


@dataclass(frozen=True)
class AgentRequest:
    task_id: UUID
    attempt: int
    prompt: str
    cwd: Path
    env: Mapping[str, str]  # the complete environment for the agent process
    system_prompt: str | None = None
    model: str | None = None
    max_turns: int | None = None
    resume_session_id: str | None = None
    # Where the runtime may keep per-task scratch files (outside the worktree).
    scratch_dir: Path | None = None
    # Called with the pid (= process group id) of the agent process once it started.
    on_process: Callable[[int], None] | None = None


@dataclass(frozen=True)
class AgentEvent:
    """One thing the agent did; the reporter numbers, stamps and batches them."""

    kind: str  # system | text | thinking | tool_use | tool_result | result | stderr | stdout
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentOutcome:
    """How a session ended. `error_kind` is None only for a successful session."""

    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    stopped: StopReason | None = None
    cost_usd: float = 0.0
    turns: int = 0
    session_id: str | None = None
    result_text: str | None = None
    exit_code: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.error_kind is None


EventSink = Callable[[AgentEvent], None]


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Runtime(ABC):
    """An agent runtime; register a new one in `workers.runtimes.RUNTIMES`."""

    name: ClassVar[str]

    @abstractmethod
    def is_available(self) -> bool:
        """Whether this machine can run it (e.g. the CLI is installed)."""

    @abstractmethod
    def run(self, request: AgentRequest, on_event: EventSink, stop: StopSignal) -> AgentOutcome:
        """Run one session to its end; never raises for an agent failure."""
