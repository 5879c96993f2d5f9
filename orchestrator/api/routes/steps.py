"""A directive's steps: list, add one, add a batch, submit a whole plan, remove one.

Task keys may use these on their own directive: that is how a planning agent submits its
plan. Every addition is validated as a whole under the directive's row lock.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from orchestrator.api.deps import (
    DirectiveDep,
    LockedDirectiveDep,
    PrincipalDep,
    SessionDep,
    plan_limits,
)
from orchestrator.api.errors import error_responses
from orchestrator.models import Directive
from orchestrator.repository import steps as steps_repo
from orchestrator.triggers import enqueue_after_commit
from schemas.plans import PlanSubmission, StepBatch, StepSpec
from schemas.statuses import DirectiveStatus
from schemas.steps import StepPublic
from schemas.wire import TASK_DISPATCH

router = APIRouter(prefix="/api/v1/directives/{directive_id}", tags=["steps"])

# New or removed steps change what is ready: tell the dispatcher at once (after the commit)
# instead of leaving it to the next tick.
_DISPATCHING = frozenset({DirectiveStatus.PLANNING, DirectiveStatus.ACTIVE})


def _plan_changed(session: Session, directive: Directive) -> None:
    if directive.status in _DISPATCHING:
        enqueue_after_commit(session, TASK_DISPATCH, directive.id)


def _submit(
    session: Session,
    directive: Directive,
    actor: str,
    specs: list[StepSpec],
    *,
    remove: list[str] | None = None,
    whole_plan: bool = False,
) -> list[StepPublic]:
    steps = steps_repo.submit_steps(
        session,
        directive=directive,
        specs=specs,
        remove=remove or [],
        limits=plan_limits(),
        actor=actor,
        whole_plan=whole_plan,
    )
    _plan_changed(session, directive)
    return [StepPublic.model_validate(s) for s in steps]


@router.get(
    "/steps",
    response_model=list[StepPublic],
    responses=error_responses(404, 422),
    summary="List the directive's steps in plan order",
)
def list_steps(
    directive: DirectiveDep,
    session: SessionDep,
    include_removed: Annotated[bool, Query(description="Also list removed steps.")] = False,
) -> list[StepPublic]:
    steps = steps_repo.list_steps(
        session, directive_id=directive.id, include_removed=include_removed
    )
    return [StepPublic.model_validate(s) for s in steps]


@router.post(
    "/steps",
    status_code=201,
    response_model=StepPublic,
    responses=error_responses(404, 409, 422, plan=True),
    summary="Add one step (dependencies by name or id)",
)
def add_step(
    body: StepSpec, directive: LockedDirectiveDep, session: SessionDep, principal: PrincipalDep
) -> StepPublic:
    return _submit(session, directive, principal.actor, [body])[0]


@router.post(
    "/steps/batch",
    status_code=201,
    response_model=list[StepPublic],
    responses=error_responses(404, 409, 422, plan=True),
    summary="Add several steps, validated together",
)
def add_steps(
    body: StepBatch, directive: LockedDirectiveDep, session: SessionDep, principal: PrincipalDep
) -> list[StepPublic]:
    return _submit(session, directive, principal.actor, body.steps)


@router.post(
    "/plan",
    status_code=201,
    response_model=list[StepPublic],
    responses=error_responses(404, 409, 422, plan=True),
    summary="Submit a whole plan: new steps, and open steps to remove",
)
def submit_plan(
    body: PlanSubmission,
    directive: LockedDirectiveDep,
    session: SessionDep,
    principal: PrincipalDep,
) -> list[StepPublic]:
    return _submit(
        session, directive, principal.actor, body.steps, remove=body.remove, whole_plan=True
    )


@router.delete(
    "/steps/{step_id}",
    response_model=StepPublic,
    responses=error_responses(404, 409, 422),
    summary="Remove a pending, ready, failed or skipped step",
)
def remove_step(
    step_id: Annotated[uuid.UUID, Path(description="The step's id.")],
    directive: LockedDirectiveDep,
    session: SessionDep,
    principal: PrincipalDep,
) -> StepPublic:
    step = steps_repo.remove_step(
        session, directive=directive, step_id=step_id, actor=principal.actor
    )
    _plan_changed(session, directive)
    return StepPublic.model_validate(step)
