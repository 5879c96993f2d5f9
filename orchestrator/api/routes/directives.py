"""Directives: create (optionally with a plan), list, show, edit, delete, and the commands.

Status changes go through `orchestrator.lifecycle`; this module never sets a status.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response
from sqlalchemy.orm import Session

from orchestrator import lifecycle
from orchestrator.api.deps import (
    DirectiveDep,
    OwnerLockedDirectiveDep,
    OwnerPrincipalDep,
    PrincipalDep,
    SessionDep,
    plan_limits,
)
from orchestrator.api.errors import error_responses
from orchestrator.dag import ready_steps, topological_order
from orchestrator.errors import ValidationError
from orchestrator.models import Directive
from orchestrator.repository import directives as directives_repo
from orchestrator.repository import steps as steps_repo
from orchestrator.repository import tasks as tasks_repo
from schemas.directives import (
    DirectiveCreate,
    DirectivePublic,
    DirectiveUpdate,
    GoalVersion,
    PauseRequest,
)
from schemas.enums import TokenScope
from schemas.statuses import DirectiveStatus, StepStatus
from schemas.steps import ChainView, DirectiveDetail, StepPublic, TaskPublic

router = APIRouter(prefix="/api/v1/directives", tags=["directives"])


def directive_detail(session: Session, directive: Directive) -> DirectiveDetail:
    """The directive with its live steps, the current chain and the goal history."""
    steps = steps_repo.list_steps(session, directive_id=directive.id)
    nodes = steps_repo.step_nodes(steps)
    # Ready: already marked ready, or pending with everything it waits for done.
    ready = {s.id for s in steps if s.status is StepStatus.READY}
    ready.update(n.id for n in ready_steps(nodes))
    order = topological_order(nodes)
    live = tasks_repo.list_tasks(session, directive_id=directive.id, live_only=True)
    return DirectiveDetail(
        directive=DirectivePublic.model_validate(directive),
        steps=[StepPublic.model_validate(s) for s in steps],
        chain=ChainView(
            generation=directive.generation,
            order=order,
            ready=[i for i in order if i in ready],
            live_tasks=[TaskPublic.model_validate(t) for t in live],
        ),
        goal_history=[
            GoalVersion.model_validate(g)
            for g in directives_repo.goal_history(session, directive_id=directive.id)
        ],
    )


@router.post(
    "",
    status_code=201,
    response_model=DirectiveDetail,
    responses=error_responses(403, 422, plan=True),
    summary="Create a draft directive, optionally with its plan",
)
def create_directive(
    body: DirectiveCreate, session: SessionDep, principal: OwnerPrincipalDep
) -> DirectiveDetail:
    # The plan is validated before anything is written; the directive stays a draft.
    plan = None
    if body.plan is not None:
        plan = steps_repo.check_plan(
            session, owner_id=principal.owner_id, specs=body.plan, limits=plan_limits()
        )
    directive = directives_repo.create_directive(
        session, owner_id=principal.owner_id, body=body, actor=principal.actor
    )
    if plan is not None:
        steps_repo.insert_plan(
            session, directive=directive, plan=plan, actor=principal.actor, whole_plan=True
        )
    return directive_detail(session, directive)


@router.get(
    "",
    response_model=list[DirectivePublic],
    responses=error_responses(422),
    summary="List directives, newest first",
)
def list_directives(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[
        list[DirectiveStatus], Query(description="Only these statuses (repeatable).")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[DirectivePublic]:
    only_id = principal.directive_id if principal.scope is TokenScope.TASK else None
    rows = directives_repo.list_directives(
        session,
        owner_id=principal.owner_id,
        statuses=status,
        only_id=only_id,
        limit=limit,
        offset=offset,
    )
    return [DirectivePublic.model_validate(d) for d in rows]


@router.get(
    "/{directive_id}",
    response_model=DirectiveDetail,
    responses=error_responses(404, 422),
    summary="Show a directive with its steps, current chain and goal history",
)
def get_directive(directive: DirectiveDep, session: SessionDep) -> DirectiveDetail:
    return directive_detail(session, directive)


@router.patch(
    "/{directive_id}",
    response_model=DirectiveDetail,
    responses=error_responses(403, 404, 409, 422),
    summary="Edit a directive; a new goal is recorded in the goal history and re-plans",
)
def update_directive(
    body: DirectiveUpdate,
    directive: OwnerLockedDirectiveDep,
    session: SessionDep,
    principal: OwnerPrincipalDep,
) -> DirectiveDetail:
    new_goal = None
    if "goal" in body.model_fields_set:
        new_goal = (body.goal or "").strip()
        if not new_goal:
            raise ValidationError("goal must not be blank", field="goal")
    changed = directives_repo.update_directive(session, directive=directive, body=body)
    if new_goal is not None and new_goal != directive.goal:
        lifecycle.change_goal(
            session, directive=directive, new_goal=new_goal, actor=principal.actor
        )
        changed.append("goal")
    directives_repo.record_update(
        session, directive=directive, changed=changed, actor=principal.actor
    )
    session.refresh(directive)
    return directive_detail(session, directive)


@router.delete(
    "/{directive_id}",
    status_code=204,
    response_class=Response,
    responses=error_responses(403, 404, 409, 422),
    summary="Delete a draft or stopped directive with everything it holds",
)
def delete_directive(directive: OwnerLockedDirectiveDep, session: SessionDep) -> None:
    directives_repo.delete_directive(session, directive=directive)


@router.post(
    "/{directive_id}/start",
    response_model=DirectivePublic,
    responses=error_responses(403, 404, 409, 422),
    summary="Start a draft: planning, or straight to active when it has a plan",
)
def start_directive(
    directive: OwnerLockedDirectiveDep, session: SessionDep, principal: OwnerPrincipalDep
) -> DirectivePublic:
    lifecycle.start_directive(session, directive=directive, actor=principal.actor)
    return DirectivePublic.model_validate(directive)


@router.post(
    "/{directive_id}/pause",
    response_model=DirectivePublic,
    responses=error_responses(403, 404, 409, 422),
    summary="Pause: nothing new starts and running sessions are cancelled",
)
def pause_directive(
    directive: OwnerLockedDirectiveDep,
    session: SessionDep,
    principal: OwnerPrincipalDep,
    body: Annotated[PauseRequest, Body()] = PauseRequest(),  # noqa: B008 - an immutable default
) -> DirectivePublic:
    reason = body.reason.strip()
    if not reason:
        raise ValidationError("reason must not be blank", field="reason")
    lifecycle.pause_directive(session, directive=directive, actor=principal.actor, reason=reason)
    return DirectivePublic.model_validate(directive)


@router.post(
    "/{directive_id}/resume",
    response_model=DirectivePublic,
    responses=error_responses(403, 404, 409, 422),
    summary="Resume a paused directive (a tripped breaker needs its limit raised first)",
)
def resume_directive(
    directive: OwnerLockedDirectiveDep, session: SessionDep, principal: OwnerPrincipalDep
) -> DirectivePublic:
    lifecycle.resume_directive(session, directive=directive, actor=principal.actor)
    return DirectivePublic.model_validate(directive)


@router.post(
    "/{directive_id}/stop",
    response_model=DirectivePublic,
    responses=error_responses(403, 404, 409, 422),
    summary="Stop for good: live sessions are cancelled",
)
def stop_directive(
    directive: OwnerLockedDirectiveDep, session: SessionDep, principal: OwnerPrincipalDep
) -> DirectivePublic:
    lifecycle.stop_directive(session, directive=directive, actor=principal.actor)
    return DirectivePublic.model_validate(directive)
