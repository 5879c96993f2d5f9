"""Writing to and reading from the directive event log."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import DirectiveEvent
from schemas.enums import EventType, Severity

SYSTEM_ACTOR = "system"


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
) -> DirectiveEvent:
    event = DirectiveEvent(
        directive_id=directive_id,
        type=type,
        message=message,
        actor=actor,
        severity=severity,
        step_id=step_id,
        task_id=task_id,
        data=data or {},
    )
    session.add(event)
    session.flush()
    return event


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
