"""Dispatch: ready steps get an execute task on a daemon of the directive's pool.

One dispatcher at a time per directive: the directive row is locked (`FOR UPDATE`) for the
whole pass, so two workers or two ticks serialize, and the second sees the first's steps
already `running`. A step moves ready → running in the same transaction that creates its
task, so a step never has two live tasks.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.dag import ready_steps
from orchestrator.models import Directive, Step, Task
from orchestrator.phases.breakers import trip_breakers_if_needed
from orchestrator.phases.locked import LockedDirective, lock_with_steps
from orchestrator.phases.tasking import create_task
from orchestrator.prompts import execute_prompt
from orchestrator.repository.events import record_event
from orchestrator.repository.fleet import has_online_daemon
from orchestrator.repository.steps import step_nodes
from orchestrator.repository.transitions import transition
from schemas.directives import DirectivePublic
from schemas.enums import EventType, Severity, TaskKind
from schemas.naming import step_branch_name
from schemas.statuses import DIRECTIVE_LIVE, DirectiveStatus, StepStatus, TaskStatus
from schemas.steps import StepPublic

log = logging.getLogger(__name__)
NO_DAEMON_NOTICE = "no_daemon"


def dispatch_ready_steps(session: Session, *, directive_id: uuid.UUID) -> list[Task]:
    """The dispatch phase's entry point: lock the directive, then `dispatch_locked`."""
    locked = lock_with_steps(session, directive_id)
    return [] if locked is None else dispatch_locked(session, locked)


def dispatch_locked(session: Session, locked: LockedDirective) -> list[Task]:
    """Mark newly ready steps and start a task for each ready step; returns the new tasks."""
    directive, steps = locked.directive, locked.steps
    if directive.status is not DirectiveStatus.ACTIVE:
        return []
    if trip_breakers_if_needed(session, directive=directive, steps=steps):
        return []
    for node in ready_steps(step_nodes(steps)):
        transition(
            session,
            directive_id=directive.id,
            row_id=node.id,
            current=StepStatus.PENDING,
            target=StepStatus.READY,
            reason="every dependency passed",
        )
    # The guarded transitions above updated these objects in place (synchronize "fetch").
    by_id = {s.id: s for s in steps}
    started = [
        _start_step(session, directive, step, by_id)
        for step in sorted(steps, key=lambda s: (s.generation, s.order_index, s.name))
        if step.status is StepStatus.READY
    ]
    if started:
        _notice_missing_daemon(session, directive)
    return started


def _start_step(
    session: Session, directive: Directive, step: Step, by_id: dict[uuid.UUID, Step]
) -> Task:
    """Base per DESIGN 4.2: first dependency's branch, others merged in by code; else the
    directive's PR branch when one exists, else the base branch. Later attempts start from
    the step's own branch when an earlier attempt pushed work to it."""
    deps = [by_id[d] for d in step.depends_on if d in by_id]
    dep_branches = [d.branch for d in deps if d.branch]
    previous = session.get(Task, step.current_task_id) if step.current_task_id else None
    merge_refs: tuple[str, ...]
    if previous is not None and previous.commit and step.branch:
        # A rework or a re-dispatch continues from what the previous attempt pushed (its
        # dependencies are already merged into it), so nothing done is lost.
        base_ref, merge_refs = step.branch, ()
    elif dep_branches:
        base_ref, merge_refs = dep_branches[0], tuple(dep_branches[1:])
    else:
        base_ref, merge_refs = directive.pr_branch or directive.base_branch, ()
    # An interrupted session continues where it stopped when the runtime can resume it.
    resume = (
        previous.session_id
        if previous is not None
        and previous.status is TaskStatus.INTERRUPTED
        and previous.runtime == directive.runtime
        else None
    )
    prompt = execute_prompt(
        DirectivePublic.model_validate(directive),
        StepPublic.model_validate(step),
        dependencies=[StepPublic.model_validate(d) for d in deps],
        rework_feedback=step.feedback if step.rework_count > 0 else None,
    )
    attempt = step.attempts + 1
    task = create_task(
        session,
        directive=directive,
        kind=TaskKind.EXECUTE,
        step=step,
        attempt=attempt,
        prompt=prompt,
        base_ref=base_ref,
        merge_refs=merge_refs,
        branch=step.branch or step_branch_name(step.name, step.id),
        resume_session_id=resume,
    )
    transition(
        session,
        directive_id=directive.id,
        row_id=step.id,
        current=StepStatus.READY,
        target=StepStatus.RUNNING,
        reason=f"attempt {attempt} dispatched",
        values={"current_task_id": task.id, "attempts": attempt},
        data={"task_id": str(task.id), "base_ref": base_ref, "merge_refs": list(merge_refs)},
    )
    return task


def _notice_missing_daemon(session: Session, directive: Directive) -> None:
    """Say once (not every tick) that tasks wait because no daemon of the pool is online."""
    online = has_online_daemon(session, pool=directive.pool)
    if online and directive.waiting_notice == NO_DAEMON_NOTICE:
        directive.waiting_notice = None
    elif not online and directive.waiting_notice != NO_DAEMON_NOTICE:
        directive.waiting_notice = NO_DAEMON_NOTICE
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.TASK_WAITING,
            severity=Severity.WARNING,
            message=f"no daemon of pool {directive.pool!r} is online; tasks wait queued",
            data={"pool": directive.pool},
        )
    session.flush()


def directives_waiting_for_pool(session: Session, *, pool: str) -> list[uuid.UUID]:
    """Live directives on `pool` (dispatch decides what, if anything, to start)."""
    return list(
        session.scalars(
            select(Directive.id).where(Directive.pool == pool, Directive.status.in_(DIRECTIVE_LIVE))
        )
    )
