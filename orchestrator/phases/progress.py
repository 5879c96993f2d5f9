"""Monitoring, second half: move steps and the directive once their tasks have ended.

`advance_directive` runs after every finished task update (and on every tick): ended
execute tasks move their step (evaluate, rework, re-dispatch or fail), an ended planning
task activates the directive or retries planning, and a directive whose steps are all
terminal reports whether it is complete or blocked, and why.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from orchestrator.config import get_settings
from orchestrator.dag import blocked_steps
from orchestrator.models import Directive, DirectiveEvent, Step, Task
from orchestrator.phases.breakers import trip_breakers_if_needed
from orchestrator.phases.locked import LockedDirective, lock_with_steps
from orchestrator.phases.outcomes import fail_step, rework_or_fail_step
from orchestrator.phases.planning import start_planning_task
from orchestrator.repository.events import record_event
from orchestrator.repository.steps import step_nodes
from orchestrator.repository.transitions import transition
from orchestrator.triggers import enqueue_after_commit
from schemas.enums import ErrorKind, EventType, Severity, TaskKind
from schemas.statuses import (
    STEP_OPEN,
    TASK_LIVE,
    DirectiveStatus,
    StepStatus,
    TaskStatus,
)
from schemas.wire import TASK_COMPLETE, TASK_DISPATCH, TASK_EVALUATE

D = DirectiveStatus
_WATCHED = (D.PLANNING, D.ACTIVE, D.PAUSED, D.COMPLETING)


def advance_directive(session: Session, *, directive_id: uuid.UUID) -> None:
    locked = lock_with_steps(session, directive_id)
    if locked is not None:
        advance_locked(session, locked)


def advance_locked(session: Session, locked: LockedDirective) -> None:
    directive, steps = locked.directive, locked.steps
    if directive.status not in _WATCHED:
        return
    for step in steps:
        if step.status is StepStatus.RUNNING and step.current_task_id is not None:
            task = session.get(Task, step.current_task_id)
            if task is not None and task.status not in TASK_LIVE:
                _after_execute_task(session, directive, step, task)
    if trip_breakers_if_needed(session, directive=directive, steps=steps):
        return
    if directive.status is D.PLANNING:
        _after_planning_task(session, directive)
    else:
        report_outcome_locked(session, locked)


def report_outcome_locked(session: Session, locked: LockedDirective) -> None:
    """The last part of `advance_locked` alone: skip blocked steps, report the outcome.

    After evaluation and dispatch in the same pass, this is all that can have changed:
    the ended tasks were handled and the breakers checked (by dispatch too) moments ago.
    """
    if locked.directive.status is D.ACTIVE:
        # No refresh needed: guarded transitions synchronize the session's objects.
        _report_outcome(session, locked.directive, locked.steps)


def _after_execute_task(session: Session, directive: Directive, step: Step, task: Task) -> None:
    result = task.result or {}
    if task.status is TaskStatus.DONE:
        if transition(
            session,
            directive_id=directive.id,
            row_id=step.id,
            current=StepStatus.RUNNING,
            target=StepStatus.EVALUATING,
            reason=f"attempt {task.attempt} finished; evaluating",
            values={"branch": result.get("branch") or task.branch, "commit": task.commit},
        ):
            enqueue_after_commit(session, TASK_EVALUATE, directive.id)
        return
    if task.status in (TaskStatus.CANCELLED, TaskStatus.INTERRUPTED):
        _redispatch_or_fail(session, directive, step, task)
        return
    detail = task.error_detail or task.status.value
    if task.error_kind is ErrorKind.MERGE_CONFLICT:
        # The dependencies' branches conflict before the agent even starts: rework cannot
        # help; a person (or a re-plan) must.
        fail_step(session, directive=directive, step=step, reason=f"dependency merge: {detail}")
        return
    if task.commit:
        step.branch = result.get("branch") or task.branch
        session.flush()
    rework_or_fail_step(
        session,
        directive=directive,
        step=step,
        reason=f"session {task.status.value} ({task.error_kind or 'unknown'})",
        feedback=f"The previous session ended with {task.status.value}: {detail}",
    )


def _redispatch_or_fail(session: Session, directive: Directive, step: Step, task: Task) -> None:
    """Interrupted or cancelled sessions start again (resuming where the runtime can)."""
    lost = session.scalar(
        select(Task.id)
        .where(Task.step_id == step.id, Task.status == TaskStatus.INTERRUPTED)
        .offset(get_settings().max_interrupt_retries)
        .limit(1)
    )
    if lost is not None:
        fail_step(
            session,
            directive=directive,
            step=step,
            reason=f"interrupted more than {get_settings().max_interrupt_retries} times",
        )
        return
    if task.commit:
        step.branch = (task.result or {}).get("branch") or task.branch
        session.flush()
    if transition(
        session,
        directive_id=directive.id,
        row_id=step.id,
        current=StepStatus.RUNNING,
        target=StepStatus.READY,
        reason=f"attempt {task.attempt} {task.status.value}; will be dispatched again",
    ):
        enqueue_after_commit(session, TASK_DISPATCH, directive.id)


def _after_planning_task(session: Session, directive: Directive) -> None:
    task = session.scalars(
        select(Task)
        .where(
            Task.directive_id == directive.id,
            Task.kind == TaskKind.PLAN,
            Task.generation == directive.generation,
        )
        .order_by(Task.created_at.desc())
        .limit(1)
    ).one_or_none()
    if task is None or task.status in TASK_LIVE:
        return
    if task.status is TaskStatus.DONE and _plan_exists(session, directive, task):
        if transition(
            session,
            directive_id=directive.id,
            row_id=directive.id,
            current=D.PLANNING,
            target=D.ACTIVE,
            reason=f"plan of generation {directive.generation} submitted",
            values={"status_reason": None},
        ):
            enqueue_after_commit(session, TASK_DISPATCH, directive.id)
        return
    failure = (
        f"The planning session ended with {task.status.value}: {task.error_detail}"
        if task.status is not TaskStatus.DONE
        else "The planning session ended without submitting a valid plan."
    )
    if directive.chain_regenerations < directive.max_chain_regenerations:
        directive.chain_regenerations += 1
        session.flush()
        start_planning_task(session, directive=directive, previous_failure=failure)
        return
    reason = (
        f"planning failed {directive.chain_regenerations + 1} times "
        f"(max_chain_regenerations={directive.max_chain_regenerations}): {failure}"
    )
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.PLANNING_FAILED,
        severity=Severity.ERROR,
        message=reason,
        task_id=task.id,
    )
    transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=D.PLANNING,
        target=D.PAUSED,
        reason=reason,
        severity=Severity.ERROR,
        values={"status_reason": reason},
    )


def _plan_exists(session: Session, directive: Directive, task: Task) -> bool:
    """The planner submitted steps (or removals), or someone gave this generation a plan."""
    by_task = session.scalar(
        select(
            exists().where(
                DirectiveEvent.directive_id == directive.id,
                DirectiveEvent.actor == f"task:{task.id}",
                DirectiveEvent.type.in_(
                    (EventType.PLAN_SUBMITTED, EventType.STEP_ADDED, EventType.STEP_REMOVED)
                ),
            )
        )
    )
    in_generation = session.scalar(
        select(
            exists().where(
                Step.directive_id == directive.id,
                Step.generation == directive.generation,
                Step.status != StepStatus.REMOVED,
            )
        )
    )
    return bool(by_task or in_generation)


def _report_outcome(session: Session, directive: Directive, steps: list[Step]) -> None:
    """Skip steps a failure has made unreachable; when nothing is open, say how it ended."""
    for step_id, why in blocked_steps(step_nodes(steps)).items():
        transition(
            session,
            directive_id=directive.id,
            row_id=step_id,
            current=StepStatus.PENDING,
            target=StepStatus.SKIPPED,
            reason=why,
            severity=Severity.WARNING,
        )
    if not steps or any(s.status in STEP_OPEN for s in steps):
        return
    failed = [s for s in steps if s.status in (StepStatus.FAILED, StepStatus.SKIPPED)]
    passed = [s for s in steps if s.status is StepStatus.PASSED]
    if failed:
        names = ", ".join(f"{s.name!r} ({s.status.value})" for s in failed)
        reason = f"blocked: {len(failed)} step(s) did not pass: {names}"
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.DIRECTIVE_OUTCOME,
            severity=Severity.ERROR,
            message=reason + "; edit the goal to re-plan, or resume after fixing",
            data={"outcome": "blocked", "failed": [str(s.id) for s in failed]},
        )
        transition(
            session,
            directive_id=directive.id,
            row_id=directive.id,
            current=D.ACTIVE,
            target=D.PAUSED,
            reason=reason,
            severity=Severity.ERROR,
            values={"status_reason": reason},
        )
        return
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.DIRECTIVE_OUTCOME,
        message=f"all {len(passed)} steps passed; completing",
        data={"outcome": "complete", "passed": [str(s.id) for s in passed]},
    )
    if transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=D.ACTIVE,
        target=D.COMPLETING,
        reason="every step passed",
        values={"completion_round": directive.completion_round + 1},
    ):
        enqueue_after_commit(session, TASK_COMPLETE, directive.id)
