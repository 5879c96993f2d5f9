"""Tasks (agent sessions) and their output, read owner-scoped through their directive."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.errors import NotFoundError
from orchestrator.models import Directive, Task, TaskOutputEvent
from schemas.statuses import TASK_LIVE


def list_tasks(session: Session, *, directive_id: uuid.UUID, live_only: bool = False) -> list[Task]:
    """The directive's tasks, oldest first (the caller has checked the directive's owner)."""
    query = select(Task).where(Task.directive_id == directive_id)
    if live_only:
        query = query.where(Task.status.in_(TASK_LIVE))
    return list(session.scalars(query.order_by(Task.created_at, Task.id)))


def get_task(
    session: Session,
    *,
    owner_id: uuid.UUID,
    task_id: uuid.UUID,
    directive_id: uuid.UUID | None = None,
) -> Task:
    """The owner's task; `directive_id` narrows to one directive (task-scoped keys)."""
    query = (
        select(Task)
        .join(Directive, Directive.id == Task.directive_id)
        .where(Task.id == task_id, Directive.owner_id == owner_id)
    )
    if directive_id is not None:
        query = query.where(Task.directive_id == directive_id)
    task = session.scalars(query).one_or_none()
    if task is None:
        raise NotFoundError(f"task {task_id} not found", field="task_id")
    return task


def list_output(
    session: Session, *, task_id: uuid.UUID, after_id: int = 0, limit: int = 500
) -> list[TaskOutputEvent]:
    """What the session printed, after a cursor, in arrival order."""
    return list(
        session.scalars(
            select(TaskOutputEvent)
            .where(TaskOutputEvent.task_id == task_id, TaskOutputEvent.id > after_id)
            .order_by(TaskOutputEvent.id)
            .limit(limit)
        )
    )
