"""The execution phase. Its decisions arrive with the directive-lifecycle work (issues 4 and 5);
until then the entry point only claims nothing and reports that it ran."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


def dispatch_ready_steps(session: Session, *, directive_id: uuid.UUID) -> None:
    log.debug("execution phase for %s: nothing to do yet", directive_id)


def directives_waiting_for_pool(session: Session, *, pool: str) -> list[uuid.UUID]:
    """Live directives on `pool` (dispatch decides what, if anything, to start)."""
    from sqlalchemy import select

    from orchestrator.models import Directive
    from schemas.statuses import DIRECTIVE_LIVE

    return list(
        session.scalars(
            select(Directive.id).where(Directive.pool == pool, Directive.status.in_(DIRECTIVE_LIVE))
        )
    )
