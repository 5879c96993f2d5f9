"""Closed vocabularies shared by the API, the database and the daemons.

Statuses with transitions live in `schemas.statuses`; everything else that is a fixed set
of words lives here, so no module spells one as a bare string.
"""

from __future__ import annotations

from enum import StrEnum


class TaskKind(StrEnum):
    PLAN = "plan"
    EXECUTE = "execute"
    EVALUATE = "evaluate"
    COMPLETE = "complete"
    RESOLVE_CONFLICTS = "resolve_conflicts"


class AutonomyLevel(StrEnum):
    FULL_AUTO = "full_auto"
    GUIDED = "guided"
    MANUAL = "manual"


class EvaluatorFailurePolicy(StrEnum):
    """What to do when the evaluator agent itself fails or answers garbage."""

    PASS = "pass"
    ASK = "ask"
    FAIL = "fail"


class ErrorKind(StrEnum):
    """Why a task did not end well; stored beside the human-readable detail."""

    AGENT_ERROR = "agent_error"  # the runtime's result said is_error
    AGENT_EXIT = "agent_exit"  # non-zero exit code
    AGENT_NO_RESULT = "agent_no_result"  # the session ended without a result
    AGENT_CRASH = "agent_crash"  # the process died on a signal or could not start
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"
    MERGE_CONFLICT = "merge_conflict"
    WORKTREE = "worktree"  # clone, fetch or worktree preparation failed
    PUSH = "push"
    RUNTIME_UNAVAILABLE = "runtime_unavailable"
    DAEMON_LOST = "daemon_lost"
    SCRIPT = "script"  # the scripted runtime's script was invalid or failed on purpose
    INVALID_PLAN = "invalid_plan"
    INTERNAL = "internal"


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class EventType(StrEnum):
    DIRECTIVE_CREATED = "directive_created"
    DIRECTIVE_UPDATED = "directive_updated"
    DIRECTIVE_STATUS = "directive_status"
    GOAL_CHANGED = "goal_changed"
    PLAN_SUBMITTED = "plan_submitted"
    STEP_ADDED = "step_added"
    STEP_REMOVED = "step_removed"
    STEP_STATUS = "step_status"
    TASK_STATUS = "task_status"
    TASK_DISPATCHED = "task_dispatched"
    TASK_WAITING = "task_waiting"
    EVALUATION = "evaluation"
    EVALUATOR_FAILED = "evaluator_failed"
    APPROVAL_REQUESTED = "approval_requested"
    APPROVAL_DECIDED = "approval_decided"
    BREAKER_TRIPPED = "breaker_tripped"
    PLANNING_FAILED = "planning_failed"
    MERGE = "merge"
    MERGE_GATE = "merge_gate"
    PULL_REQUEST = "pull_request"
    ORDER_LINKED = "order_linked"
    ORDER_UNLINKED = "order_unlinked"
    ORDER_STATUS = "order_status"
    DIRECTIVE_OUTCOME = "directive_outcome"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"


class EvaluationColor(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class OrderPriority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


class OrderType(StrEnum):
    FEATURE = "feature"
    BUG = "bug"
    CHORE = "chore"
    DOCS = "docs"


class OrderStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class ForgeKind(StrEnum):
    """Where a directive's pull request is opened. `auto`: GitHub when the repository is a
    GitHub URL, else the local forge (a PR record kept by makima)."""

    AUTO = "auto"
    GITHUB = "github"
    LOCAL = "local"


class DaemonStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


class TokenScope(StrEnum):
    OWNER = "owner"
    TASK = "task"
