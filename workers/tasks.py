"""The daemon's one Celery task: run a RunTask message.

The task is a thin wrapper: it validates the message and hands it to workers.session.
A message that is not a valid RunTask is reported as a failed task (when it names a task
id) and acknowledged; it never raises into the worker.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from celery import Celery
from pydantic import ValidationError

from schemas.enums import ErrorKind
from schemas.messages import RunTask, TaskFinished
from schemas.statuses import TaskStatus
from schemas.wire import TASK_RUN
from workers.reporter import now
from workers.session import DaemonContext, run_task

log = logging.getLogger(__name__)


def report_invalid_message(ctx: DaemonContext, message: object, error: str) -> None:
    """Tell the orchestrator a message for task X could not be read, if X can be known."""
    fields = message if isinstance(message, dict) else {}
    try:
        task_id = UUID(str(fields.get("task_id")))
    except ValueError:
        log.error("dropped a run_task message without a valid task_id: %s", error)
        return
    attempt = fields.get("attempt")
    ctx.publisher.task_update(TaskFinished(
        task_id=task_id,
        attempt=attempt if isinstance(attempt, int) and attempt >= 1 else 1,
        daemon=ctx.settings.name,
        at=now(),
        status=TaskStatus.FAILED,
        error_kind=ErrorKind.INTERNAL,
        error_detail=f"invalid RunTask message: {error}"[:4000],
    ))


def register_tasks(app: Celery, ctx: DaemonContext) -> None:
    @app.task(name=TASK_RUN, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def run_task_message(*args: Any, **kwargs: Any) -> None:
        message = args[0] if len(args) == 1 and not kwargs else {"args": args, **kwargs}
        try:
            task = RunTask.model_validate(message)
        except ValidationError as exc:
            report_invalid_message(ctx, message, str(exc))
            return
        finished = run_task(ctx, task)
        log.info("task %s attempt %s: %s %s", task.task_id, task.attempt,
                 finished.status.value, finished.error_kind or "")
