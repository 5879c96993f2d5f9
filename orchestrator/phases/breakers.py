"""Tripping the circuit breakers: pause, cancel running sessions, say why with figures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from orchestrator.cancellation import cancel_live_tasks
from orchestrator.models import Directive, Step
from orchestrator.repository.budgets import current_breaches
from orchestrator.repository.events import record_event
from orchestrator.repository.transitions import transition
from schemas.enums import EventType, Severity
from schemas.statuses import DIRECTIVE_LIVE, DirectiveStatus


def trip_breakers_if_needed(
    session: Session, *, directive: Directive, steps: Sequence[Step] | None = None
) -> bool:
    """Pause a live directive whose figures reached a limit; True when it tripped.

    `steps`, when the caller has loaded them all (under the directive lock), spare a query.
    """
    if directive.status not in DIRECTIVE_LIVE:
        return False
    breaches = current_breaches(session, directive=directive, steps=steps)
    if not breaches:
        return False
    reason = "circuit breaker: " + "; ".join(b.describe() for b in breaches)
    if not transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=directive.status,
        target=DirectiveStatus.PAUSED,
        reason=reason,
        severity=Severity.WARNING,
        values={"status_reason": reason},
    ):
        return False
    figures = [{"kind": b.kind.value, "figure": b.figure, "limit": b.limit} for b in breaches]
    directive.breaker = {"breaches": figures}
    cancelled = cancel_live_tasks(session, directive_id=directive.id, reason=reason)
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.BREAKER_TRIPPED,
        severity=Severity.WARNING,
        message=reason,
        data={"breaches": figures, "cancelled_tasks": [str(t) for t in cancelled]},
    )
    session.flush()
    return True
