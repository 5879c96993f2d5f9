"""Side effects that must follow a commit: phase triggers and cancel signals.

A message is published only once the transaction that justifies it has committed, so a
worker never picks up a phase for state it cannot see yet, and a rolled-back request
publishes nothing. Losing such a message is harmless: the beat tick re-derives the work.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import lru_cache

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session

from orchestrator.config import get_settings
from schemas.wire import CANCEL_KEY_TTL_SECONDS, QUEUE_ORCHESTRATOR, cancel_key

log = logging.getLogger(__name__)
_PHASES_KEY = "makima_pending_phases"
_ACTIONS_KEY = "makima_after_commit"


def _ensure_listeners(session: Session) -> None:
    if _ACTIONS_KEY in session.info:
        return
    session.info[_ACTIONS_KEY] = []
    session.info[_PHASES_KEY] = set()
    event.listen(session, "after_commit", _run_pending, once=True)
    event.listen(session, "after_rollback", _drop_pending, once=True)


def after_commit(session: Session, action: Callable[[], None]) -> None:
    """Run `action` once `session` commits; drop it if the session rolls back."""
    _ensure_listeners(session)
    session.info[_ACTIONS_KEY].append(action)


def enqueue_after_commit(session: Session, task_name: str, directive_id: uuid.UUID) -> None:
    """Publish phase `task_name(directive_id)` after the commit, once per pair.

    In tick-only mode nothing is published: the beat tick finds the work instead.
    """
    if get_settings().tick_only:
        return
    _ensure_listeners(session)
    session.info[_PHASES_KEY].add((task_name, str(directive_id)))


def forget_phases(session: Session, directive_id: uuid.UUID, task_names: tuple[str, ...]) -> None:
    """Drop pending phase messages the caller has just done itself in this transaction."""
    pending: set[tuple[str, str]] = session.info.get(_PHASES_KEY, set())
    pending.difference_update((name, str(directive_id)) for name in task_names)


def signal_cancel_after_commit(session: Session, task_ids: list[uuid.UUID]) -> None:
    """Set the cancel keys the daemons poll, once the cancellation is committed."""
    if task_ids:
        ids = [str(t) for t in task_ids]
        after_commit(session, lambda: set_cancel_keys(ids))


@lru_cache(maxsize=2)
def _redis(url: str) -> redis.Redis[bytes]:
    return redis.Redis.from_url(url, socket_timeout=5)


def set_cancel_keys(task_ids: list[str]) -> None:
    client = _redis(get_settings().redis_url)
    with client.pipeline() as pipe:
        for task_id in task_ids:
            pipe.set(cancel_key(task_id), "1", ex=CANCEL_KEY_TTL_SECONDS)
        pipe.execute()


def _run_pending(session: Session) -> None:
    actions: list[Callable[[], None]] = session.info.pop(_ACTIONS_KEY, [])
    phases: set[tuple[str, str]] = session.info.pop(_PHASES_KEY, set())
    for action in actions:
        try:
            action()
        except Exception:  # Redis is down: the tick repeats cancel signals and phases
            log.exception("after-commit action failed; the tick will repeat it")
    if phases:
        from orchestrator.celery_app import app

        for task_name, directive_id in sorted(phases):
            try:
                app.send_task(task_name, args=[directive_id], queue=QUEUE_ORCHESTRATOR)
            except Exception:
                log.warning("could not enqueue %s for %s; the tick will", task_name, directive_id)


def _drop_pending(session: Session) -> None:
    session.info.pop(_ACTIONS_KEY, None)
    session.info.pop(_PHASES_KEY, None)
