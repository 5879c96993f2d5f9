"""The three state machines of makima: one enum and one transition table each.

This is the only place where a status is spelled out. The tables are pure data shared by
both sides (the daemon reports task statuses, the API shows them); the guarded
compare-and-set that applies a transition lives in `orchestrator.repository.transitions`
and refuses anything these tables do not allow.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any


class DirectiveStatus(StrEnum):
    DRAFT = "draft"
    PLANNING = "planning"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETING = "completing"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"


class StepStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    RUNNING = "running"
    EVALUATING = "evaluating"
    AWAITING_APPROVAL = "awaiting_approval"
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    REMOVED = "removed"


class TaskStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


D, S, T = DirectiveStatus, StepStatus, TaskStatus

DIRECTIVE_TRANSITIONS: Mapping[DirectiveStatus, frozenset[DirectiveStatus]] = {
    # draft → active directly when the directive was created with a plan (no planning).
    D.DRAFT: frozenset({D.PLANNING, D.ACTIVE, D.STOPPED}),
    D.PLANNING: frozenset({D.ACTIVE, D.PAUSED, D.FAILED, D.STOPPED}),
    # active → planning: a goal edit or an order pickup re-plans while running steps go on.
    D.ACTIVE: frozenset({D.PAUSED, D.PLANNING, D.COMPLETING, D.FAILED, D.STOPPED}),
    D.PAUSED: frozenset({D.ACTIVE, D.PLANNING, D.FAILED, D.STOPPED}),
    # completing → active: the merge gate was red or new work appeared during completion.
    D.COMPLETING: frozenset({D.COMPLETED, D.ACTIVE, D.PAUSED, D.FAILED, D.STOPPED}),
    # completed → planning: a later goal edit re-plans and re-completes into the same PR.
    D.COMPLETED: frozenset({D.PLANNING}),
    D.FAILED: frozenset({D.PLANNING}),
    D.STOPPED: frozenset(),
}

STEP_TRANSITIONS: Mapping[StepStatus, frozenset[StepStatus]] = {
    S.PENDING: frozenset({S.READY, S.SKIPPED, S.REMOVED}),
    # ready → pending: a re-plan changed what the step waits for.
    S.READY: frozenset({S.RUNNING, S.PENDING, S.SKIPPED, S.REMOVED}),
    # running → pending: the session failed and the rework budget lasts;
    # running → ready: the session was interrupted or cancelled and is dispatched again.
    S.RUNNING: frozenset({S.EVALUATING, S.PENDING, S.READY, S.FAILED}),
    # evaluating → pending is a rework (rework_count + 1, feedback in the next prompt).
    S.EVALUATING: frozenset({S.PASSED, S.AWAITING_APPROVAL, S.PENDING, S.FAILED}),
    S.AWAITING_APPROVAL: frozenset({S.PASSED, S.PENDING, S.FAILED}),
    S.PASSED: frozenset(),
    S.FAILED: frozenset({S.SKIPPED, S.REMOVED}),
    S.SKIPPED: frozenset({S.REMOVED}),
    S.REMOVED: frozenset(),
}

TASK_TRANSITIONS: Mapping[TaskStatus, frozenset[TaskStatus]] = {
    T.PENDING: frozenset({T.QUEUED, T.CANCELLED}),
    # queued → done/failed/...: the daemon's "started" update may arrive after "finished".
    T.QUEUED: frozenset({T.RUNNING, T.DONE, T.FAILED, T.INTERRUPTED, T.CANCELLED, T.TIMED_OUT}),
    T.RUNNING: frozenset({T.DONE, T.FAILED, T.INTERRUPTED, T.CANCELLED, T.TIMED_OUT}),
    T.DONE: frozenset(),
    T.FAILED: frozenset(),
    T.INTERRUPTED: frozenset(),
    T.CANCELLED: frozenset(),
    T.TIMED_OUT: frozenset(),
}

DIRECTIVE_LIVE = frozenset({D.PLANNING, D.ACTIVE, D.COMPLETING})
DIRECTIVE_DELETABLE = frozenset({D.DRAFT, D.STOPPED})
STEP_TERMINAL = frozenset({S.PASSED, S.FAILED, S.SKIPPED, S.REMOVED})
STEP_IN_FLIGHT = frozenset({S.PENDING, S.READY, S.RUNNING, S.EVALUATING})
# Not terminal: the steps dispatch, monitoring and completion look at.
STEP_OPEN = STEP_IN_FLIGHT | {S.AWAITING_APPROVAL}
STEP_EDITABLE_BY_PLANNER = frozenset({S.PENDING, S.READY, S.FAILED, S.SKIPPED})
TASK_LIVE = frozenset({T.PENDING, T.QUEUED, T.RUNNING})
TASK_TERMINAL = frozenset(set(TaskStatus) - TASK_LIVE)

AnyStatus = DirectiveStatus | StepStatus | TaskStatus


class IllegalTransitionError(Exception):
    """A status change the transition table does not allow."""

    def __init__(self, machine: str, current: str, target: str) -> None:
        super().__init__(f"{machine} cannot go from {current} to {target}")
        self.machine = machine
        self.current = current
        self.target = target


def table_for(status: AnyStatus) -> Mapping[Any, frozenset[Any]]:
    """The transition table of the machine `status` belongs to."""
    tables: dict[type, Mapping[Any, frozenset[Any]]] = {
        DirectiveStatus: DIRECTIVE_TRANSITIONS,
        StepStatus: STEP_TRANSITIONS,
        TaskStatus: TASK_TRANSITIONS,
    }
    return tables[type(status)]


def can_transition(current: AnyStatus, target: AnyStatus) -> bool:
    return type(current) is type(target) and target in table_for(current)[current]


def check_transition(current: AnyStatus, target: AnyStatus) -> None:
    """Raise IllegalTransitionError unless the table allows current → target."""
    if not can_transition(current, target):
        raise IllegalTransitionError(type(current).__name__, current.value, target.value)
