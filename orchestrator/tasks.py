"""Celery tasks: thin wrappers that open one transaction and call one phase function.

Each takes ids only, has an explicit name, acknowledges late (a worker lost mid-task means
redelivery) and is idempotent, because every phase claims its rows with a guarded
transition or `FOR UPDATE SKIP LOCKED`. Messages caused by a task are published after its
commit (see orchestrator.triggers). Transient database errors are retried.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from orchestrator.celery_app import app
from orchestrator.config import get_settings
from orchestrator.db import session_scope
from orchestrator.models import SchedulerState
from orchestrator.phases import (
    completion,
    evaluation,
    execution,
    monitoring,
    planning,
    progress,
    replanning,
)
from orchestrator.phases.locked import lock_with_steps
from orchestrator.repository import fleet
from orchestrator.scheduling import directives_needing_phases
from orchestrator.triggers import enqueue_after_commit, forget_phases
from schemas import wire
from schemas.enums import TaskKind
from schemas.messages import (
    DAEMON_MESSAGE_ADAPTER,
    TASK_UPDATE_ADAPTER,
    DaemonAnnounce,
    DaemonGoodbye,
)

log = logging.getLogger(__name__)

# The phase that acts on a task of each kind once it has ended.
_NEXT_PHASE = {
    TaskKind.PLAN: wire.TASK_MONITOR,
    TaskKind.EXECUTE: wire.TASK_MONITOR,
    TaskKind.EVALUATE: wire.TASK_EVALUATE,
    TaskKind.COMPLETE: wire.TASK_COMPLETE,
    TaskKind.RESOLVE_CONFLICTS: wire.TASK_COMPLETE,
}

_TASK_OPTIONS: dict[str, Any] = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError,),
    "retry_backoff": True,
    "max_retries": 5,
}


def _phase(fn: Callable[..., object]) -> Callable[[str], None]:
    def run(directive_id: str) -> None:
        with session_scope() as session:
            fn(session, directive_id=uuid.UUID(directive_id))

    return run


plan = app.task(name=wire.TASK_PLAN, **_TASK_OPTIONS)(_phase(planning.plan_directive))
dispatch = app.task(name=wire.TASK_DISPATCH, **_TASK_OPTIONS)(
    _phase(execution.dispatch_ready_steps)
)
monitor = app.task(name=wire.TASK_MONITOR, **_TASK_OPTIONS)(_phase(monitoring.monitor_directive))
evaluate = app.task(name=wire.TASK_EVALUATE, **_TASK_OPTIONS)(_phase(evaluation.evaluate_directive))
replan = app.task(name=wire.TASK_REPLAN, **_TASK_OPTIONS)(_phase(replanning.replan_directive))
complete = app.task(name=wire.TASK_COMPLETE, **_TASK_OPTIONS)(_phase(completion.complete_directive))


@app.task(name=wire.TASK_RECORD_UPDATE, **_TASK_OPTIONS)
def record_task_update(payload: dict[str, Any]) -> None:
    message = TASK_UPDATE_ADAPTER.validate_python(payload)
    with session_scope() as session:
        finished = monitoring.record_task_update(session, message)
        if finished is None:
            return
        if get_settings().tick_only:
            return  # advancing on an event is what tick-only mode turns off: the tick will
        if finished.kind in (TaskKind.PLAN, TaskKind.EXECUTE):
            _advance_inline(session, finished.directive_id)
        else:
            enqueue_after_commit(session, _NEXT_PHASE[finished.kind], finished.directive_id)


_INLINE_PHASES = (wire.TASK_MONITOR, wire.TASK_EVALUATE, wire.TASK_DISPATCH)


def _advance_inline(session: Session, directive_id: uuid.UUID) -> None:
    """Monitor, evaluate, dispatch, report the outcome: here, in the transaction that recorded the end.

    This is the hot path of a handoff (a step passed → its dependents start): doing the
    three phases in one worker saves three queue hops, and they share one directive lock
    and one load of its steps. Each phase is idempotent and the lock serializes them with
    a concurrent tick, which then finds nothing to do. The phase messages these phases
    would enqueue for themselves are dropped as redundant.
    """
    locked = lock_with_steps(session, directive_id)
    if locked is None:
        return
    monitoring.monitor_locked(session, locked)
    evaluation.evaluate_locked(session, locked)
    execution.dispatch_locked(session, locked)
    progress.report_outcome_locked(session, locked)  # e.g. the last step passed: complete
    forget_phases(session, directive_id, _INLINE_PHASES)


@app.task(name=wire.TASK_RECORD_DAEMON, **_TASK_OPTIONS)
def record_daemon_message(payload: dict[str, Any]) -> None:
    message = DAEMON_MESSAGE_ADAPTER.validate_python(payload)
    with session_scope() as session:
        if isinstance(message, DaemonGoodbye):
            fleet.record_goodbye(session, message)
            return
        if isinstance(message, DaemonAnnounce):
            joined = fleet.record_announce(session, message)
        else:
            joined = fleet.record_heartbeat(session, message)
        if joined:
            _enqueue_waiting_dispatch(session, pool=message.pool)


def _enqueue_waiting_dispatch(session: Session, *, pool: str) -> None:
    """A daemon (re)joined: directives with work waiting on that pool can dispatch now."""
    for directive_id in execution.directives_waiting_for_pool(session, pool=pool):
        enqueue_after_commit(session, wire.TASK_DISPATCH, directive_id)


@app.task(name=wire.TASK_TICK, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def tick() -> dict[str, int]:
    """The safety net: re-derive every pending action from the database.

    Marks silent daemons offline (interrupting their sessions), then enqueues the phases
    each live directive may need. Records that it ran in `scheduler_state`.
    """
    settings = get_settings()
    with session_scope() as session:
        offline = fleet.mark_silent_daemons_offline(
            session, silent_seconds=settings.daemon_offline_seconds
        )
        interrupted = monitoring.interrupt_lost_tasks(
            session, silent_seconds=settings.daemon_offline_seconds
        )
        for task in interrupted:
            enqueue_after_commit(session, wire.TASK_MONITOR, task.directive_id)
        enqueued = 0
        for task_name, directive_id in directives_needing_phases(session):
            _send_after_commit(session, task_name, directive_id)
            enqueued += 1
        result = {
            "daemons_offline": len(offline),
            "tasks_interrupted": len(interrupted),
            "phases_enqueued": enqueued,
        }
        now = datetime.now(UTC)
        session.execute(
            insert(SchedulerState)
            .values(name=wire.TASK_TICK, run_count=1, last_run_at=now, last_result=result)
            .on_conflict_do_update(
                index_elements=[SchedulerState.name],
                set_={
                    "run_count": SchedulerState.run_count + 1,
                    "last_run_at": now,
                    "last_result": result,
                },
            )
        )
    return result


def _send_after_commit(session: Session, task_name: str, directive_id: uuid.UUID) -> None:
    """The tick publishes even in tick-only mode: it is the one trigger that mode keeps."""
    from orchestrator.triggers import after_commit

    after_commit(
        session,
        lambda: app.send_task(task_name, args=[str(directive_id)], queue=wire.QUEUE_ORCHESTRATOR),
    )
