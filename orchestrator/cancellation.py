"""Cancelling a directive's live tasks (pause, stop, breaker, superseded re-plan).

A task not yet picked up by a daemon is cancelled in the database at once; the daemon that
later receives its message sees the cancel key and skips it. A running task is cancelled
by its daemon (which still commits and pushes what was done) and reports `cancelled`; its
status changes when that report arrives.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import Task
from orchestrator.repository.owners import revoke_task_keys
from orchestrator.repository.transitions import transition
from orchestrator.triggers import signal_cancel_after_commit
from schemas.enums import ErrorKind
from schemas.statuses import TASK_LIVE, TaskStatus


def cancel_live_tasks(
    session: Session,
    *,
    directive_id: uuid.UUID,
    reason: str,
    task_ids: list[uuid.UUID] | None = None,
) -> list[uuid.UUID]:
    """Cancel the directive's live tasks (or just `task_ids`); returns the ids signalled."""
    query = select(Task).where(Task.directive_id == directive_id, Task.status.in_(TASK_LIVE))
    if task_ids is not None:
        query = query.where(Task.id.in_(task_ids))
    signalled = []
    for task in session.scalars(query.with_for_update(skip_locked=True)):
        signalled.append(task.id)
        if task.status in (TaskStatus.PENDING, TaskStatus.QUEUED):
            transition(
                session,
                directive_id=directive_id,
                row_id=task.id,
                current=task.status,
                target=TaskStatus.CANCELLED,
                reason=reason,
                step_id=task.step_id,
                values={"error_kind": ErrorKind.CANCELLED, "error_detail": reason},
            )
        # A running agent keeps going until its daemon sees the cancel key, but from now
        # on it cannot act through the API (e.g. a superseded planner submitting a plan).
        revoke_task_keys(session, task_id=task.id)
    signal_cancel_after_commit(session, signalled)
    return signalled
