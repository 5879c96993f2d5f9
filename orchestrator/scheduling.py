"""Which phases the tick enqueues for which directives (read-only queries)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import Directive
from schemas.statuses import DirectiveStatus
from schemas.wire import TASK_COMPLETE, TASK_DISPATCH, TASK_MONITOR, TASK_PLAN

_PHASES_BY_STATUS: dict[DirectiveStatus, tuple[str, ...]] = {
    DirectiveStatus.PLANNING: (TASK_PLAN, TASK_MONITOR),
    DirectiveStatus.ACTIVE: (TASK_MONITOR, TASK_DISPATCH),
    DirectiveStatus.COMPLETING: (TASK_COMPLETE, TASK_MONITOR),
}


def directives_needing_phases(session: Session) -> list[tuple[str, uuid.UUID]]:
    """(phase task name, directive id) for every live directive; phases are idempotent."""
    rows = session.execute(
        select(Directive.id, Directive.status).where(Directive.status.in_(_PHASES_BY_STATUS))
    )
    return [
        (phase, directive_id)
        for directive_id, status in rows
        for phase in _PHASES_BY_STATUS[status]
    ]
