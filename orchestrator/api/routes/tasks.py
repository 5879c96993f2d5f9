"""Tasks (agent sessions) of a directive and what each one printed."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from orchestrator.api.deps import DirectiveDep, PrincipalDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.repository import tasks as tasks_repo
from schemas.enums import TokenScope
from schemas.events import OutputEventPublic, OutputPage
from schemas.steps import TaskPublic

router = APIRouter(prefix="/api/v1", tags=["tasks"])


@router.get(
    "/directives/{directive_id}/tasks",
    response_model=list[TaskPublic],
    responses=error_responses(404, 422),
    summary="List the directive's tasks, oldest first",
)
def list_tasks(directive: DirectiveDep, session: SessionDep) -> list[TaskPublic]:
    return [
        TaskPublic.model_validate(t)
        for t in tasks_repo.list_tasks(session, directive_id=directive.id)
    ]


@router.get(
    "/tasks/{task_id}/output",
    response_model=OutputPage,
    responses=error_responses(404, 422),
    summary="A page of a task's output, after a cursor",
)
def task_output(
    task_id: Annotated[uuid.UUID, Path(description="The task's id.")],
    session: SessionDep,
    principal: PrincipalDep,
    after_id: Annotated[int, Query(ge=0, description="Only output after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=2000)] = 500,
) -> OutputPage:
    task = tasks_repo.get_task(
        session,
        owner_id=principal.owner_id,
        task_id=task_id,
        directive_id=principal.directive_id if principal.scope is TokenScope.TASK else None,
    )
    rows = tasks_repo.list_output(session, task_id=task.id, after_id=after_id, limit=limit)
    return OutputPage(
        output=[OutputEventPublic.model_validate(r) for r in rows],
        next_after_id=rows[-1].id if rows else after_id,
    )
