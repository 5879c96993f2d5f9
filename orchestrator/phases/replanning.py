"""Re-planning: a goal edit or an order pickup gives the directive a new generation and one
planning task whose prompt says why, shows the goal's versions when it changed, every
existing step by status (what stays, what may be removed) and the linked orders.

Exactly one live planning task: `lifecycle.request_replan` cancels a superseded one, and
`phases.planning.plan_directive` starts the next under the directive's row lock only once
none is live. This module builds the re-planning task; the entry point is shared.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from orchestrator.models import Directive, GoalHistory, Step, Task
from orchestrator.phases.tasking import create_task
from orchestrator.prompts import replanning_prompt
from orchestrator.repository.directives import goal_history
from orchestrator.repository.orders import orders_to_plan
from schemas.directives import DirectivePublic, GoalVersion
from schemas.enums import TaskKind
from schemas.naming import short_id
from schemas.orders import OrderPublic
from schemas.statuses import StepStatus
from schemas.steps import StepPublic


def replan_directive(session: Session, *, directive_id: uuid.UUID) -> Task | None:
    """The TASK_REPLAN entry: the same guarded start as a first plan (the prompt differs)."""
    from orchestrator.phases.planning import plan_directive

    return plan_directive(session, directive_id=directive_id)


def goal_changed_since_planned(session: Session, *, directive: Directive) -> bool:
    """Was the goal edited since the newest existing steps were planned?

    A goal edit records the replaced goal with the generation it belonged to; steps carry
    the generation they were planned in. A replaced goal of that generation or later was
    replaced after (or while) those steps were planned. An order pickup records no goal.
    """
    planned = session.scalar(
        select(func.max(Step.generation)).where(Step.directive_id == directive.id)
    )
    query = exists().where(GoalHistory.directive_id == directive.id)
    if planned is not None:
        query = query.where(GoalHistory.generation >= planned)
    return bool(session.scalar(select(query)))


def start_replanning_task(
    session: Session, *, directive: Directive, attempt: int, previous_failure: str | None
) -> Task:
    steps = session.scalars(
        select(Step)
        .where(Step.directive_id == directive.id, Step.status != StepStatus.REMOVED)
        .order_by(Step.generation, Step.order_index, Step.created_at, Step.name)
    ).all()
    prompt = replanning_prompt(
        DirectivePublic.model_validate(directive),
        goal_changed=goal_changed_since_planned(session, directive=directive),
        previous_goals=[
            GoalVersion.model_validate(g) for g in goal_history(session, directive_id=directive.id)
        ],
        steps=[StepPublic.model_validate(s) for s in steps],
        orders=[
            OrderPublic.model_validate(o) for o in orders_to_plan(session, directive=directive)
        ],
        previous_failure=previous_failure,
    )
    return create_task(
        session,
        directive=directive,
        kind=TaskKind.PLAN,
        attempt=attempt,
        prompt=prompt,
        base_ref=directive.pr_branch or directive.base_branch,
        branch=f"makima/plan-{short_id(directive.id)}-g{directive.generation}",
        run_verifiers=False,
        step_name=f"re-plan generation {directive.generation}",
    )
