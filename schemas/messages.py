"""Queue messages between the orchestrator and the daemons.

Every message is frozen, forbids unknown fields and carries a schema version, so a daemon
and an orchestrator of different releases fail loudly instead of misreading each other.
The orchestrator sends `RunTask` to `daemons.<pool>`; daemons answer with `TaskUpdate`
variants and `DaemonMessage` variants on the `orchestrator` queue.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from schemas.enums import ErrorKind, TaskKind
from schemas.statuses import TaskStatus

SCHEMA_VERSION = 1


class Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    schema_version: Literal[1] = 1


class RunTask(Message):
    """Everything a daemon needs to run one task; it never reads the database.

    By kind:
    - plan / execute / evaluate: an agent session in a worktree checked out from `base_ref`
      with `merge_refs` merged by code; everything is committed and pushed to `branch`.
    - complete: no agent (`runtime` is ignored). Check out `base_ref` (the directive branch
      tip, its staging branch, or the base branch), merge every `merge_refs` entry in that
      order by code; a conflict ends the task `failed` with `error_kind=merge_conflict` and
      the `conflict` report, nothing pushed. Then the merge gate: the verifiers run on the
      merged result; only when every one passes is it pushed to `branch` (`pushed=True`).
      `diff_stats` are measured against the merge base with `diff_base_ref`.
    - resolve_conflicts: like execute, but the first conflicting merge is left in the
      worktree for the agent; afterwards no conflict marker may remain in the conflicted
      files (else `failed`, `merge_conflict`, nothing pushed); the resolution is committed
      and pushed to `branch` (the staging branch). No verifiers (`run_verifiers=False`).
    """

    task_id: UUID
    attempt: int = Field(ge=1)
    kind: TaskKind
    directive_id: UUID
    step_id: UUID | None = None
    step_name: str = Field(description="Human name, used in commit messages (sanitized).")
    repository: str = Field(description="Remote URL or local path of the repository.")
    base_ref: str = Field(description="Branch the worktree starts from.")
    base_fallback_ref: str | None = Field(
        default=None,
        description="Used instead of base_ref when origin has no such branch: the directive "
        "branch may have been deleted after its pull request was merged.",
    )
    merge_refs: tuple[str, ...] = Field(
        default=(), description="Extra branches merged by code before the agent starts."
    )
    branch: str = Field(description="Branch the result is committed and pushed to.")
    prompt: str
    system_prompt: str | None = None
    runtime: str
    model: str | None = None
    max_turns: int | None = Field(default=None, ge=1)
    timeout_seconds: int = Field(ge=1)
    resume_session_id: str | None = None
    verifier_commands: tuple[tuple[str, ...], ...] = ()
    auto_verifiers: bool = True
    run_verifiers: bool = True
    diff_base_ref: str | None = Field(
        default=None,
        description="complete tasks: the pull request's base branch; diff stats are measured "
        "from its merge base with the result.",
    )
    api_url: str
    api_token: str


class OutputEvent(BaseModel):
    """One line of what the agent did: text, a tool call, a tool result, a system note."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    seq: int = Field(ge=0)
    at: datetime
    kind: str = Field(max_length=64)
    text: str
    data: dict[str, Any] = Field(default_factory=dict)


class VerifierResult(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str
    command: tuple[str, ...]
    exit_code: int | None = Field(description="None when the command timed out or could not start.")
    duration_seconds: float
    output_tail: str
    timed_out: bool = False

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


class MergeConflict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    base_ref: str
    merging_ref: str
    files: tuple[str, ...]


class DiffStats(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    files_changed: int = 0
    insertions: int = 0
    deletions: int = 0


class TaskStarted(Message):
    type: Literal["started"] = "started"
    task_id: UUID
    attempt: int
    daemon: str
    at: datetime


class TaskHeartbeat(Message):
    type: Literal["heartbeat"] = "heartbeat"
    task_id: UUID
    attempt: int
    daemon: str
    at: datetime


class TaskOutput(Message):
    type: Literal["output"] = "output"
    task_id: UUID
    attempt: int
    events: tuple[OutputEvent, ...]


class TaskFinished(Message):
    type: Literal["finished"] = "finished"
    task_id: UUID
    attempt: int
    daemon: str
    at: datetime
    # interrupted: the daemon itself was shut down mid-session (work committed and pushed,
    # session id kept) so the orchestrator dispatches the step again, resuming the session.
    status: Literal[
        TaskStatus.DONE,
        TaskStatus.FAILED,
        TaskStatus.CANCELLED,
        TaskStatus.TIMED_OUT,
        TaskStatus.INTERRUPTED,
    ]
    error_kind: ErrorKind | None = None
    error_detail: str | None = None
    cost_usd: float = Field(default=0.0, ge=0)
    turns: int = Field(default=0, ge=0)
    session_id: str | None = None
    result_text: str | None = None
    branch: str | None = None
    commit: str | None = None
    changed: bool = False
    # False when nothing reached `branch`: a red merge gate, a conflict, a failed push.
    pushed: bool = False
    diff_stats: DiffStats = DiffStats()
    verifier_results: tuple[VerifierResult, ...] = ()
    conflict: MergeConflict | None = None


TaskUpdate = Annotated[
    TaskStarted | TaskHeartbeat | TaskOutput | TaskFinished, Field(discriminator="type")
]
TASK_UPDATE_ADAPTER: TypeAdapter[TaskUpdate] = TypeAdapter(TaskUpdate)


class DaemonAnnounce(Message):
    type: Literal["announce"] = "announce"
    name: str = Field(min_length=1, max_length=200)
    host: str
    pool: str
    capacity: int = Field(ge=1)
    runtimes: tuple[str, ...]
    version: str
    at: datetime


class DaemonHeartbeat(Message):
    type: Literal["heartbeat"] = "heartbeat"
    name: str
    pool: str
    running_task_ids: tuple[UUID, ...] = ()
    at: datetime


class DaemonGoodbye(Message):
    type: Literal["goodbye"] = "goodbye"
    name: str
    at: datetime


DaemonMessage = Annotated[
    DaemonAnnounce | DaemonHeartbeat | DaemonGoodbye, Field(discriminator="type")
]
DAEMON_MESSAGE_ADAPTER: TypeAdapter[DaemonMessage] = TypeAdapter(DaemonMessage)
