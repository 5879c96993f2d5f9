"""The one guarded way a status changes: check the table, compare-and-set, record an event.

`UPDATE … WHERE id = :id AND status = :expected` is the lock: when another worker (or a
redelivered message) already moved the row, rowcount is 0 and the caller returns quietly.
An illegal change (one the table forbids) is a programming error and raises.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from orchestrator.models import Directive, Step, Task
from orchestrator.repository.events import SYSTEM_ACTOR, record_event
from schemas.enums import EventType, Severity
from schemas.statuses import (
    AnyStatus,
    DirectiveStatus,
    StepStatus,
    TaskStatus,
    check_transition,
)

_TARGETS: dict[type, tuple[type[Directive] | type[Step] | type[Task], EventType]] = {
    DirectiveStatus: (Directive, EventType.DIRECTIVE_STATUS),
    StepStatus: (Step, EventType.STEP_STATUS),
    TaskStatus: (Task, EventType.TASK_STATUS),
}


def transition(
    session: Session,
    *,
    directive_id: uuid.UUID,
    row_id: uuid.UUID,
    current: AnyStatus,
    target: AnyStatus,
    reason: str,
    actor: str = SYSTEM_ACTOR,
    severity: Severity = Severity.INFO,
    values: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    step_id: uuid.UUID | None = None,
) -> bool:
    """Move one row from `current` to `target`; False when someone else moved it first.

    `values` are extra columns written in the same UPDATE (so they change only if the
    status does). The event names the row, both statuses and the reason.
    """
    check_transition(current, target)
    model, event_type = _TARGETS[type(current)]
    result = session.execute(
        update(model)
        .where(model.id == row_id, model.status == current)
        .values(status=target, **(values or {}))
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return False
    record_event(
        session,
        directive_id=directive_id,
        type=event_type,
        message=f"{model.__name__.lower()} {current.value} → {target.value}: {reason}",
        actor=actor,
        severity=severity,
        step_id=row_id if model is Step else step_id,
        task_id=row_id if model is Task else None,
        data={"from": current.value, "to": target.value, "reason": reason, **(data or {})},
    )
    return True
