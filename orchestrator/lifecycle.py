"""Commands a person (or an agent) gives a directive: start, pause, resume, stop, edit.

Each command checks the directive's state, applies the guarded transition, records what
happened and enqueues the phase that can act on it after the commit. The API and the CLI
call these; they never change a status themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.errors import ConflictError
from orchestrator.models import Approval, Directive, GoalHistory, Order, Step, Task
from orchestrator.repository import orders as orders_repo
from orchestrator.repository.events import record_event
from orchestrator.repository.transitions import transition
from orchestrator.triggers import enqueue_after_commit
from schemas.enums import ApprovalStatus, EventType, TaskKind
from schemas.statuses import (
    DIRECTIVE_TRANSITIONS,
    TASK_LIVE,
    DirectiveStatus,
    StepStatus,
)
from schemas.wire import TASK_DISPATCH, TASK_PLAN, TASK_REPLAN

D = DirectiveStatus


def _move(
    session: Session, directive: Directive, target: DirectiveStatus, *, reason: str, actor: str
) -> None:
    """Apply a directive transition or explain, as a 409, why it is not possible now."""
    current = directive.status
    if target not in DIRECTIVE_TRANSITIONS[current]:
        raise ConflictError(
            f"directive is {current.value}; it cannot become {target.value}", field="status"
        )
    values: dict[str, object] = {"status_reason": reason}
    if target is D.PLANNING or target is D.ACTIVE:
        values["started_at"] = directive.started_at or datetime.now(UTC)
    if not transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=current,
        target=target,
        reason=reason,
        actor=actor,
        values=values,
    ):
        raise ConflictError("the directive changed meanwhile; try again", field="status")
    session.refresh(directive)


def _has_plan(session: Session, directive: Directive) -> bool:
    return (
        session.scalar(
            select(Step.id)
            .where(Step.directive_id == directive.id, Step.status != StepStatus.REMOVED)
            .limit(1)
        )
        is not None
    )


def start_directive(session: Session, *, directive: Directive, actor: str) -> None:
    """draft → planning (a planning agent makes the plan) or → active (a plan was given)."""
    if directive.status is not D.DRAFT:
        raise ConflictError(
            f"only a draft directive can be started; this one is {directive.status.value}",
            field="status",
        )
    if _has_plan(session, directive):
        _move(session, directive, D.ACTIVE, reason="started with a given plan", actor=actor)
        enqueue_after_commit(session, TASK_DISPATCH, directive.id)
    else:
        _move(session, directive, D.PLANNING, reason="started; planning", actor=actor)
        enqueue_after_commit(session, TASK_PLAN, directive.id)


def pause_directive(session: Session, *, directive: Directive, actor: str, reason: str) -> None:
    """Nothing new starts; running sessions are cancelled (their work is still pushed)."""
    _move(session, directive, D.PAUSED, reason=reason, actor=actor)
    from orchestrator.cancellation import cancel_live_tasks

    cancel_live_tasks(session, directive_id=directive.id, reason=f"directive paused: {reason}")


def resume_directive(session: Session, *, directive: Directive, actor: str) -> None:
    """paused → active, or back to planning if there is no plan yet.

    A directive paused by a circuit breaker resumes only once the breached limit has been
    raised (checked by the breakers module).
    """
    if directive.status is not D.PAUSED:
        raise ConflictError(
            f"only a paused directive can be resumed; this one is {directive.status.value}",
            field="status",
        )
    from orchestrator.repository.budgets import assert_breakers_cleared

    assert_breakers_cleared(session, directive=directive)
    directive.breaker = None
    if _has_plan(session, directive):
        _move(session, directive, D.ACTIVE, reason="resumed", actor=actor)
        enqueue_after_commit(session, TASK_DISPATCH, directive.id)
    else:
        _move(session, directive, D.PLANNING, reason="resumed; planning", actor=actor)
        enqueue_after_commit(session, TASK_PLAN, directive.id)


def stop_directive(session: Session, *, directive: Directive, actor: str) -> None:
    _move(session, directive, D.STOPPED, reason="stopped", actor=actor)
    from orchestrator.cancellation import cancel_live_tasks

    cancel_live_tasks(session, directive_id=directive.id, reason="directive stopped")


def change_goal(session: Session, *, directive: Directive, new_goal: str, actor: str) -> bool:
    """Record the old goal (with its generation and time) and, for a directive already
    under way, re-plan.

    The directive gets the next generation and goes to `planning`; a planning task still
    live for an older goal is cancelled, so two quick edits leave one live planning task.
    Passed and running steps stay. Returns True when a re-plan was requested; a draft (or a
    stopped) directive just takes the new goal. A completing one refuses (409): it cannot
    re-plan while merging, and a goal it would silently not plan for is worse.
    """
    if new_goal == directive.goal:
        return False
    _refuse_while_completing(directive, "edit its goal")
    session.add(
        GoalHistory(directive_id=directive.id, goal=directive.goal, generation=directive.generation)
    )
    previous = directive.goal
    directive.goal = new_goal
    session.flush()
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.GOAL_CHANGED,
        message="goal changed",
        actor=actor,
        data={"previous": previous, "current": new_goal},
    )
    if directive.status not in _REPLANNABLE:
        return False
    request_replan(session, directive=directive, actor=actor, reason="goal changed")
    return True


_REPLANNABLE = (D.ACTIVE, D.PAUSED, D.COMPLETED, D.PLANNING, D.FAILED)


def _refuse_while_completing(directive: Directive, what: str) -> None:
    if directive.status is D.COMPLETING:
        raise ConflictError(
            f"directive is completing (merging its steps into the pull request); {what} "
            "once it has completed, or pause it first",
            field="status",
        )


def link_orders(
    session: Session, *, directive: Directive, order_ids: Sequence[uuid.UUID], actor: str
) -> list[Order]:
    """Link backlog orders to the directive; newly linked orders start an order pickup.

    A directive under way (active, paused, planning, completed, failed) re-plans with the
    reason "orders linked": the planner sees the linked orders by priority and the existing
    steps, and picks an adequate number. A draft just links: its first planning prompt
    lists them. Orders that were all linked already change nothing (no re-plan). A stopped
    directive never runs again and a completing one cannot re-plan now: both refuse (409).
    """
    if directive.status is D.STOPPED:
        raise ConflictError("directive is stopped; it takes no more orders", field="status")
    _refuse_while_completing(directive, "link orders")
    linked = orders_repo.link_orders(session, directive=directive, order_ids=order_ids, actor=actor)
    if linked and directive.status in _REPLANNABLE:
        request_replan(session, directive=directive, actor=actor, reason="orders linked")
    return linked


def request_replan(session: Session, *, directive: Directive, actor: str, reason: str) -> None:
    """Next generation, one planning task: cancel superseded planners, go to planning.

    The caller holds the directive's row lock. The new planning task is started by the
    planning phase after the commit, and only once no planning task is live any more: a
    superseded planner that is running is cancelled by its daemon first.
    """
    from orchestrator.cancellation import cancel_live_tasks

    planners = session.scalars(
        select(Task.id).where(
            Task.directive_id == directive.id,
            Task.kind == TaskKind.PLAN,
            Task.status.in_(TASK_LIVE),
        )
    ).all()
    if planners:
        cancel_live_tasks(
            session,
            directive_id=directive.id,
            reason=f"superseded: {reason}",
            task_ids=list(planners),
        )
    directive.generation += 1
    directive.chain_regenerations += 1
    session.flush()
    if directive.status is not D.PLANNING:
        _move(session, directive, D.PLANNING, reason=f"{reason}; re-planning", actor=actor)
    enqueue_after_commit(session, TASK_REPLAN, directive.id)


def decide_approval(
    session: Session, *, approval: Approval, approved: bool, comment: str | None, actor: str
) -> None:
    """A person's answer: approve → the step passes and the chain advances at once;
    deny → rework with the comment as instructions, or failed when the budget is spent."""
    if approval.status is not ApprovalStatus.PENDING:
        raise ConflictError(f"approval already {approval.status.value}", field="approval_id")
    directive = session.get(Directive, approval.directive_id)
    step = session.get(Step, approval.step_id)
    assert directive is not None and step is not None  # foreign keys guarantee both
    approval.status = ApprovalStatus.APPROVED if approved else ApprovalStatus.DENIED
    approval.comment = comment
    approval.decided_by = actor
    approval.decided_at = datetime.now(UTC)
    session.flush()
    record_event(
        session,
        directive_id=directive.id,
        step_id=step.id,
        type=EventType.APPROVAL_DECIDED,
        actor=actor,
        message=f"step {step.name!r} {approval.status.value}" + (f": {comment}" if comment else ""),
        data={"approval_id": str(approval.id), "approved": approved, "comment": comment},
    )
    if step.status is not StepStatus.AWAITING_APPROVAL:
        return  # the step moved on meanwhile (e.g. removed by a re-plan): the answer is kept
    from orchestrator.phases.outcomes import pass_step, rework_or_fail_step

    if approved:
        pass_step(
            session, directive=directive, step=step, reason=f"approved by {actor}", actor=actor
        )
    else:
        rework_or_fail_step(
            session,
            directive=directive,
            step=step,
            reason=f"denied by {actor}",
            feedback=f"A reviewer denied the previous result:\n{comment}",
            actor=actor,
        )
