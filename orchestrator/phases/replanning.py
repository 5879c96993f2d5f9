"""Re-planning: a goal edit (or linked orders) gives the directive a new generation and
one planning task whose prompt shows what changed and every existing step by status.

Exactly one live planning task: `lifecycle.change_goal` cancels a superseded one, and this
phase starts a new one under the directive's row lock only when none is live.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import Directive, GoalHistory, Order, Step, Task
from orchestrator.phases.locked import lock_directive
from orchestrator.phases.tasking import create_task
from orchestrator.prompts import replanning_prompt
from schemas.directives import DirectivePublic
from schemas.enums import OrderPriority, OrderStatus, TaskKind
from schemas.naming import short_id
from schemas.statuses import TASK_LIVE, DirectiveStatus, StepStatus
from schemas.steps import StepPublic

_PRIORITY_ORDER = list(OrderPriority)


def replan_directive(session: Session, *, directive_id: uuid.UUID) -> Task | None:
    directive = lock_directive(session, directive_id)
    if directive is None or directive.status is not DirectiveStatus.PLANNING:
        return None
    live = session.scalar(
        select(Task.id).where(
            Task.directive_id == directive_id,
            Task.kind == TaskKind.PLAN,
            Task.status.in_(TASK_LIVE),
        )
    )
    if live is not None:
        return None
    return start_replanning_task(session, directive=directive)


def start_replanning_task(
    session: Session, *, directive: Directive, previous_failure: str | None = None
) -> Task:
    previous = session.scalars(
        select(GoalHistory.goal)
        .where(GoalHistory.directive_id == directive.id)
        .order_by(GoalHistory.replaced_at.desc())
    ).all()
    steps = session.scalars(
        select(Step)
        .where(Step.directive_id == directive.id, Step.status != StepStatus.REMOVED)
        .order_by(Step.generation, Step.order_index, Step.name)
    ).all()
    orders = sorted(
        session.scalars(
            select(Order).where(
                Order.directive_id == directive.id, Order.status != OrderStatus.DONE
            )
        ).all(),
        key=lambda o: _PRIORITY_ORDER.index(o.priority),
    )
    prompt = replanning_prompt(
        DirectivePublic.model_validate(directive),
        previous_goals=list(previous),
        steps=[StepPublic.model_validate(s) for s in steps],
        orders=[
            f"[{o.priority.value}] {o.type.value}: {o.title} (id {o.id}) — {o.description}"
            for o in orders
        ],
        previous_failure=previous_failure,
    )
    return create_task(
        session,
        directive=directive,
        kind=TaskKind.PLAN,
        prompt=prompt,
        base_ref=directive.pr_branch or directive.base_branch,
        branch=f"makima/plan-{short_id(directive.id)}-g{directive.generation}",
        run_verifiers=False,
        step_name=f"re-plan generation {directive.generation}",
    )
