"""Planning: a directive in `planning` gets one live planning task at a time.

The planning agent submits its plan through the API (validated as a whole there). When its
task ends, monitoring decides: a plan exists → active; no valid plan → another planning
attempt with the reason fed back, up to `max_chain_regenerations`, then pause.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.models import Directive, Task
from orchestrator.phases.tasking import create_task
from orchestrator.prompts import planning_prompt
from schemas.directives import DirectivePublic
from schemas.enums import TaskKind
from schemas.naming import short_id
from schemas.statuses import TASK_LIVE, DirectiveStatus


def plan_directive(session: Session, *, directive_id: uuid.UUID) -> Task | None:
    """Start a planning task unless one is live; returns the new task."""
    directive = session.scalars(
        select(Directive).where(Directive.id == directive_id).with_for_update()
    ).one_or_none()
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
    if directive.generation > 0:
        from orchestrator.phases.replanning import start_replanning_task

        return start_replanning_task(
            session, directive=directive, previous_failure=previous_failure
        )
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
    prompt = planning_prompt(
        DirectivePublic.model_validate(directive),
        attempt=attempt,
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
        step_name=f"plan generation {directive.generation}",
    )
