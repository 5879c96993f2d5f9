"""Event-driven phase triggers: enqueue a phase for a directive right after the commit.

A message is published only once the transaction that justifies it has committed, so a
worker never picks up a phase for state it cannot see yet; a rolled-back request publishes
nothing. Losing such a message is harmless: the beat tick re-derives the work.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import event
from sqlalchemy.orm import Session

from orchestrator.config import get_settings
from schemas.wire import QUEUE_ORCHESTRATOR

log = logging.getLogger(__name__)
_PENDING_KEY = "makima_pending_phases"


def enqueue_after_commit(session: Session, task_name: str, directive_id: uuid.UUID) -> None:
    """Publish `task_name(directive_id)` after `session` commits (once per pair)."""
    if get_settings().tick_only:
        return
    pending: set[tuple[str, str]] | None = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = set()
        session.info[_PENDING_KEY] = pending
        event.listen(session, "after_commit", _publish_pending, once=True)
        event.listen(session, "after_rollback", _drop_pending, once=True)
    pending.add((task_name, str(directive_id)))


def _publish_pending(session: Session) -> None:
    pending: set[tuple[str, str]] = session.info.pop(_PENDING_KEY, set())
    if not pending:
        return
    from orchestrator.celery_app import app

    for task_name, directive_id in sorted(pending):
        try:
            app.send_task(task_name, args=[directive_id], queue=QUEUE_ORCHESTRATOR)
        except Exception:  # the broker is down: the tick will catch up, the request stands
            log.warning("could not enqueue %s for %s; the tick will", task_name, directive_id)


def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
