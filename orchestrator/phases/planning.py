"""Planning: a directive in `planning` gets one live planning task at a time.

The planning agent submits its plan through the API (validated as a whole there). When its
task ends, monitoring decides: a plan exists → active; no valid plan → another planning
attempt with the reason fed back, up to `max_chain_regenerations`, then pause.

Which prompt: a directive that never had a step gets the first-plan prompt (with the orders
linked to it so far); one with steps gets the re-planning prompt (goal changes, existing
steps by status, orders), built by `phases.replanning`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from orchestrator.models import Directive, Step, Task
from orchestrator.phases.locked import lock_directive
from orchestrator.phases.replanning import start_replanning_task
from orchestrator.phases.tasking import create_task
from orchestrator.prompts import planning_prompt
from orchestrator.repository.orders import orders_to_plan
from schemas.directives import DirectivePublic
from schemas.enums import TaskKind
from schemas.naming import short_id
from schemas.orders import OrderPublic
from schemas.statuses import TASK_LIVE, DirectiveStatus


def plan_directive(session: Session, *, directive_id: uuid.UUID) -> Task | None:
    """Start a planning task unless one is live; returns the new task.

    The entry of both TASK_PLAN and TASK_REPLAN (and of the tick for a directive in
    planning): under the directive's row lock, a superseded planner still live (being
    cancelled) means wait; the tick starts the new one once it has ended.
    """
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
    return start_planning_task(session, directive=directive, previous_failure=None)


def start_planning_task(
    session: Session, *, directive: Directive, previous_failure: str | None
) -> Task:
    """A planning task for the directive's generation: a first plan or a re-plan."""
    attempt = 1 + int(
        session.scalar(
            select(func.count(Task.id)).where(
                Task.directive_id == directive.id,
                Task.kind == TaskKind.PLAN,
                Task.generation == directive.generation,
            )
        )
        or 0
    )
    had_steps = session.scalar(select(exists().where(Step.directive_id == directive.id)))
    if had_steps:
        return start_replanning_task(
            session, directive=directive, attempt=attempt, previous_failure=previous_failure
        )
    prompt = planning_prompt(
        DirectivePublic.model_validate(directive),
        attempt=attempt,
        previous_failure=previous_failure,
        orders=[
            OrderPublic.model_validate(o) for o in orders_to_plan(session, directive=directive)
        ],
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
        step_name=f"plan generation {directive.generation}",
    )
