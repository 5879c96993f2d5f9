"""Completion: merge the passed steps into the directive branch, gate it, open or update the PR.

A round begins when the directive enters `completing` (`completion_round` + 1) and is driven
from here, one task at a time, each decision taken under the directive's row lock:

    no task yet    → nothing passed since the last completion: `completed` again, PR as is;
                     else a `complete` task (merge by code + merge gate) from the directive
                     branch (or the base branch the first time)
    complete done  → gate green and pushed: the forge opens/updates the PR → `completed`;
                     gate red: `paused` with the failing checks (no agent can wave it through)
    complete hit a conflict → a `resolve_conflicts` agent task; its resolution lands on the
                     staging branch and the next `complete` task starts from there
    anything else  → retried a few times, then `paused` with the reason

Exactly one completion task is live per directive: a pass that finds a live one returns,
and two passes serialize on the row lock, so two ticks or workers never start two.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import Directive, Step, Task
from orchestrator.phases.locked import LockedDirective, lock_with_steps
from orchestrator.phases.merging import (
    MergePlan,
    merge_plan,
    round_base,
    staging_branch,
    start_complete_task,
    start_resolve_task,
)
from orchestrator.phases.publishing import finish_directive, pause_completion, publish
from orchestrator.repository.events import record_event
from orchestrator.repository.transitions import transition
from orchestrator.triggers import enqueue_after_commit
from schemas.enums import ErrorKind, EventType, Severity, TaskKind
from schemas.messages import MergeConflict
from schemas.statuses import STEP_OPEN, TASK_LIVE, DirectiveStatus, StepStatus, TaskStatus
from schemas.wire import TASK_DISPATCH

log = logging.getLogger(__name__)

D = DirectiveStatus
_ROUND_KINDS = (TaskKind.COMPLETE, TaskKind.RESOLVE_CONFLICTS)
MAX_COMPLETE_FAILURES = 3


def complete_directive(session: Session, *, directive_id: uuid.UUID) -> Task | None:
    """The completion phase's entry point; returns the task it started, if any."""
    locked = lock_with_steps(session, directive_id)
    if locked is None or locked.directive.status is not D.COMPLETING:
        return None
    return complete_locked(session, locked)


def complete_locked(session: Session, locked: LockedDirective) -> Task | None:
    directive, steps = locked.directive, locked.steps
    tasks = _round_tasks(session, directive)
    if any(t.status in TASK_LIVE for t in tasks):
        return None  # one completion task at a time; its end brings us back here
    if any(s.status in STEP_OPEN for s in steps):
        _back_to_active(session, directive, "new steps appeared during completion")
        return None
    plan = merge_plan(steps)
    if not tasks:
        return _begin_round(session, directive, steps, plan)
    last = tasks[-1]
    if last.kind is TaskKind.RESOLVE_CONFLICTS:
        return _after_resolve(session, directive, plan, tasks, last)
    return _after_complete(session, directive, plan, tasks, last)


def _round_tasks(session: Session, directive: Directive) -> list[Task]:
    return list(
        session.scalars(
            select(Task)
            .where(
                Task.directive_id == directive.id,
                Task.kind.in_(_ROUND_KINDS),
                Task.completion_round == directive.completion_round,
            )
            .order_by(Task.created_at, Task.id)
        )
    )


def _begin_round(
    session: Session, directive: Directive, steps: list[Step], plan: MergePlan
) -> Task | None:
    if not plan.steps:
        pause_completion(session, directive, "no passed step has a branch to merge")
        return None
    if not passed_since(steps, directive):
        finish_directive(
            session,
            directive,
            reason="nothing passed since the last completion; the pull request is unchanged",
        )
        return None
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.MERGE,
        message=f"completion round {directive.completion_round}: merging {len(plan.steps)} "
        f"step branches onto {round_base(directive)}",
        data={"round": directive.completion_round, "refs": list(plan.refs)},
    )
    return start_complete_task(session, directive=directive, plan=plan, base_ref=round_base(directive))


def _after_complete(
    session: Session, directive: Directive, plan: MergePlan, tasks: list[Task], last: Task
) -> Task | None:
    result = last.result or {}
    if last.status is TaskStatus.DONE:
        if last.commit and result.get("pushed"):
            directive.pr_branch = last.branch  # pushed: later rounds and steps build on it
            session.flush()
            publish(session, directive, plan, last)
        else:
            pause_completion(session, directive, "merge gate red", gate_task=last)
        return None
    if last.error_kind is ErrorKind.MERGE_CONFLICT and result.get("conflict"):
        conflict = MergeConflict.model_validate(result["conflict"])
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.MERGE,
            severity=Severity.WARNING,
            message=f"merging {conflict.merging_ref} conflicts in "
            f"{', '.join(conflict.files)}; an agent resolves it",
            task_id=last.id,
            data=conflict.model_dump(mode="json"),
        )
        return _resolve(session, directive, plan, tasks, reported_by=last)
    return _retry_complete(session, directive, plan, tasks, last)


def _after_resolve(
    session: Session, directive: Directive, plan: MergePlan, tasks: list[Task], last: Task
) -> Task | None:
    if last.status is TaskStatus.DONE and (last.result or {}).get("pushed"):
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.MERGE,
            message=f"conflict resolved on {staging_branch(directive)}; merging the rest",
            task_id=last.id,
        )
        return start_complete_task(
            session, directive=directive, plan=plan, base_ref=staging_branch(directive)
        )
    resolves = [t for t in tasks if t.kind is TaskKind.RESOLVE_CONFLICTS]
    limit = max(1, directive.max_rework_cycles)
    detail = last.error_detail or last.status.value
    if len(resolves) >= limit:
        pause_completion(
            session,
            directive,
            f"the merge conflict was not resolved after {len(resolves)} attempt(s): {detail}",
        )
        return None
    # The same conflict again, from the same base (the complete task that reported it).
    previous = next(t for t in reversed(tasks) if t.kind is TaskKind.COMPLETE)
    return _resolve(session, directive, plan, tasks, reported_by=previous)


def _resolve(
    session: Session,
    directive: Directive,
    plan: MergePlan,
    tasks: list[Task],
    *,
    reported_by: Task,
) -> Task:
    """A resolve_conflicts task for the conflict a complete task reported, from its base."""
    resolves = sum(1 for t in tasks if t.kind is TaskKind.RESOLVE_CONFLICTS)
    return start_resolve_task(
        session,
        directive=directive,
        plan=plan,
        base_ref=reported_by.base_ref,
        conflict=MergeConflict.model_validate((reported_by.result or {})["conflict"]),
        attempt=resolves + 1,
    )


def _retry_complete(
    session: Session, directive: Directive, plan: MergePlan, tasks: list[Task], last: Task
) -> Task | None:
    failures = [
        t for t in tasks
        if t.kind is TaskKind.COMPLETE
        and t.status is not TaskStatus.DONE
        and t.error_kind is not ErrorKind.MERGE_CONFLICT
    ]
    detail = f"{last.status.value} ({last.error_kind or 'unknown'}): {last.error_detail or ''}"
    if len(failures) >= MAX_COMPLETE_FAILURES:
        pause_completion(
            session, directive, f"the completion task failed {len(failures)} times; last: {detail}"
        )
        return None
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.MERGE,
        severity=Severity.WARNING,
        message=f"completion task {detail}; trying again",
        task_id=last.id,
    )
    return start_complete_task(session, directive=directive, plan=plan, base_ref=last.base_ref)


def _back_to_active(session: Session, directive: Directive, reason: str) -> None:
    if transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=D.COMPLETING,
        target=D.ACTIVE,
        reason=reason,
    ):
        enqueue_after_commit(session, TASK_DISPATCH, directive.id)


def passed_since(steps: list[Step], directive: Directive) -> list[Step]:
    """Passed steps newer than the last completion (all of them before the first)."""
    since = directive.completed_at
    return [
        s
        for s in steps
        if s.status is StepStatus.PASSED
        and (since is None or (s.passed_at is not None and s.passed_at > since))
    ]
