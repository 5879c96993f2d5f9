"""Writing to and reading from the directive event log.

An event is written with the rest of its transaction: `record_event` queues it on the
session, and all the events a transaction recorded go in one multi-row INSERT just before
it commits (a handoff records eight; one statement instead of eight round trips). Events
are only ever read by later transactions (the API, SSE, a later monitoring pass), and ids
still follow the order they were recorded in. A rolled-back transaction writes none.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from orchestrator.models import DirectiveEvent
from schemas.enums import EventType, Severity

SYSTEM_ACTOR = "system"
_PENDING_KEY = "makima_pending_events"


def record_event(
    session: Session,
    *,
    directive_id: uuid.UUID,
    type: EventType,
    message: str,
    actor: str = SYSTEM_ACTOR,
    severity: Severity = Severity.INFO,
    step_id: uuid.UUID | None = None,
    task_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add an event to the log when the session's transaction commits."""
    pending: list[dict[str, Any]] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        event.listen(session, "before_commit", _write_pending, once=True)
        event.listen(session, "after_rollback", _drop_pending, once=True)
    pending.append(
        {
            "directive_id": directive_id,
            "type": type,
            "message": message,
            "actor": actor,
            "severity": severity,
            "step_id": step_id,
            "task_id": task_id,
            "data": data or {},
        }
    )


def _write_pending(session: Session) -> None:
    pending: list[dict[str, Any]] = session.info.pop(_PENDING_KEY, [])
    if pending:
        session.execute(insert(DirectiveEvent).values(pending))


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)


def list_events(
    session: Session,
    *,
    directive_id: uuid.UUID,
    after_id: int = 0,
    limit: int = 100,
    types: Sequence[EventType] = (),
    step_id: uuid.UUID | None = None,
) -> list[DirectiveEvent]:
    """Events after a cursor, oldest first (the caller has checked the directive's owner)."""
    query = (
        select(DirectiveEvent)
        .where(DirectiveEvent.directive_id == directive_id, DirectiveEvent.id > after_id)
        .order_by(DirectiveEvent.id)
        .limit(limit)
    )
    if types:
        query = query.where(DirectiveEvent.type.in_(types))
    if step_id is not None:
        query = query.where(DirectiveEvent.step_id == step_id)
    return list(session.scalars(query))
