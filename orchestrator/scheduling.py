"""Which phases the tick enqueues for which directives (read-only queries)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.models import Directive
from schemas.statuses import DirectiveStatus
from schemas.wire import TASK_COMPLETE, TASK_DISPATCH, TASK_EVALUATE, TASK_MONITOR, TASK_PLAN

# In the order a step moves through them: a finished task is monitored, then evaluated,
# then its dependents are dispatched. Running steps keep reporting while planning.
_PHASES_BY_STATUS: dict[DirectiveStatus, tuple[str, ...]] = {
    DirectiveStatus.PLANNING: (TASK_MONITOR, TASK_EVALUATE, TASK_PLAN),
    DirectiveStatus.ACTIVE: (TASK_MONITOR, TASK_EVALUATE, TASK_DISPATCH),
    DirectiveStatus.PAUSED: (TASK_MONITOR,),
    DirectiveStatus.COMPLETING: (TASK_MONITOR, TASK_COMPLETE),
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
