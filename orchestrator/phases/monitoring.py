"""Monitoring: record what daemons report, and notice sessions whose daemon is gone.

Every update is recorded idempotently: a duplicated or late message changes nothing, and an
update for an attempt that is no longer current (the task already ended, or a newer attempt
replaced it) is ignored. Status changes go through the guarded transition, which is also
what makes two workers recording the same `finished` message harmless.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from orchestrator.models import Daemon, Directive, Task, TaskOutputEvent
from orchestrator.phases.locked import LockedDirective
from orchestrator.phases.progress import advance_directive, advance_locked
from orchestrator.repository.owners import revoke_task_keys
from orchestrator.repository.transitions import transition
from schemas.enums import DaemonStatus, ErrorKind
from schemas.messages import TaskFinished, TaskHeartbeat, TaskOutput, TaskStarted, TaskUpdate
from schemas.statuses import TASK_LIVE, TaskStatus

log = logging.getLogger(__name__)


def _current_task(session: Session, task_id: uuid.UUID, attempt: int) -> Task | None:
    task = session.get(Task, task_id)
    if task is None:
        log.warning("update for unknown task %s ignored", task_id)
        return None
    if task.attempt != attempt:
        log.info(
            "update for attempt %s of task %s ignored (current %s)", attempt, task_id, task.attempt
        )
        return None
    return task


def record_task_update(session: Session, message: TaskUpdate) -> Task | None:
    """Apply one daemon report; returns the task when its status changed to terminal."""
    task = _current_task(session, message.task_id, message.attempt)
    if task is None:
        return None
    if isinstance(message, TaskOutput):
        _record_output(session, task, message)
        return None
    if isinstance(message, TaskStarted):
        _record_started(session, task, message)
        return None
    if isinstance(message, TaskHeartbeat):
        session.execute(
            update(Task)
            .where(Task.id == task.id, Task.status.in_(TASK_LIVE))
            .values(heartbeat_at=message.at, daemon=message.daemon)
        )
        return None
    return _record_finished(session, task, message)


def _record_output(session: Session, task: Task, message: TaskOutput) -> None:
    if not message.events:
        return
    session.execute(
        insert(TaskOutputEvent)
        .values(
            [
                {
                    "task_id": task.id,
                    "seq": e.seq,
                    "at": e.at,
                    "kind": e.kind,
                    "text": e.text,
                    "data": e.data,
                }
                for e in message.events
            ]
        )
        .on_conflict_do_nothing(index_elements=[TaskOutputEvent.task_id, TaskOutputEvent.seq])
    )


def _record_started(session: Session, task: Task, message: TaskStarted) -> None:
    if task.status is not TaskStatus.QUEUED:
        return  # duplicate, late, or already finished: nothing to do
    transition(
        session,
        directive_id=task.directive_id,
        row_id=task.id,
        current=TaskStatus.QUEUED,
        target=TaskStatus.RUNNING,
        reason=f"started on {message.daemon}",
        step_id=task.step_id,
        values={"daemon": message.daemon, "started_at": message.at, "heartbeat_at": message.at},
    )


def _record_finished(session: Session, task: Task, message: TaskFinished) -> Task | None:
    if task.status not in (TaskStatus.QUEUED, TaskStatus.RUNNING):
        return None
    detail = message.error_detail or ""
    reason = f"{message.status.value} on {message.daemon}" + (f": {detail[:200]}" if detail else "")
    changed = transition(
        session,
        directive_id=task.directive_id,
        row_id=task.id,
        current=task.status,
        target=message.status,
        reason=reason,
        step_id=task.step_id,
        values={
            "daemon": message.daemon,
            "started_at": task.started_at or message.at,
            "finished_at": message.at,
            "cost_usd": Decimal(str(message.cost_usd)),
            "turns": message.turns,
            "session_id": message.session_id,
            "commit": message.commit,
            "error_kind": message.error_kind,
            "error_detail": message.error_detail,
            "result": {
                # A verdict submitted through the API while the task ran is kept.
                **(task.result or {}),
                "result_text": message.result_text,
                "branch": message.branch,
                "changed": message.changed,
                "pushed": message.pushed,
                "diff_stats": message.diff_stats.model_dump(),
                "verifier_results": [v.model_dump(mode="json") for v in message.verifier_results],
                "conflict": message.conflict.model_dump(mode="json") if message.conflict else None,
            },
        },
    )
    if not changed:
        return None
    # The cost is added exactly once: only the worker whose transition won gets here.
    session.execute(
        update(Directive)
        .where(Directive.id == task.directive_id)
        .values(total_cost_usd=Directive.total_cost_usd + Decimal(str(message.cost_usd)))
    )
    revoke_task_keys(session, task_id=task.id)
    return task


def interrupt_lost_tasks(session: Session, *, silent_seconds: float) -> list[Task]:
    """Live tasks whose daemon went offline (or that went silent) become `interrupted`.

    A task is alive while its daemon is online: daemon heartbeats are the liveness signal,
    so a SIGKILLed daemon (whose heartbeats stop) loses its tasks, and a busy one doesn't.
    A running task whose own heartbeat stopped for far longer is interrupted too.
    """
    now = datetime.now(UTC)
    offline = select(Daemon.name).where(Daemon.status == DaemonStatus.OFFLINE)
    stale = now - timedelta(seconds=silent_seconds * 4)
    lost = session.scalars(
        select(Task)
        .where(
            Task.status == TaskStatus.RUNNING,
            (Task.daemon.in_(offline)) | (Task.heartbeat_at < stale),
        )
        .with_for_update(skip_locked=True)
    ).all()
    interrupted = []
    for task in lost:
        if transition(
            session,
            directive_id=task.directive_id,
            row_id=task.id,
            current=TaskStatus.RUNNING,
            target=TaskStatus.INTERRUPTED,
            reason=f"daemon {task.daemon} stopped sending heartbeats",
            step_id=task.step_id,
            values={
                "finished_at": now,
                "error_kind": ErrorKind.DAEMON_LOST,
                "error_detail": f"daemon {task.daemon} went silent",
            },
        ):
            revoke_task_keys(session, task_id=task.id)
            interrupted.append(task)
    return interrupted


def monitor_directive(session: Session, *, directive_id: uuid.UUID) -> None:
    """The monitor phase's entry point: move steps and the directive after tasks ended."""
    advance_directive(session, directive_id=directive_id)


def monitor_locked(session: Session, locked: LockedDirective) -> None:
    """`monitor_directive` for a caller that already holds the lock and the steps."""
    advance_locked(session, locked)
