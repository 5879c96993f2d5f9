"""Creating a task and sending it to a daemon pool: shared by every phase that runs agents.

The task row, its scoped token and its `queued` status are written in the caller's
transaction; the `RunTask` message is published only after that commit. Redis keeps the
message (AOF, noeviction) until a daemon of the pool takes it, however long that is.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.config import get_settings
from orchestrator.models import Directive, Step, Task
from orchestrator.repository.owners import create_api_key
from orchestrator.repository.transitions import transition
from orchestrator.triggers import after_commit
from schemas.enums import TaskKind, TokenScope
from schemas.messages import RunTask
from schemas.statuses import TaskStatus
from schemas.wire import TASK_RUN, daemon_queue

log = logging.getLogger(__name__)


def create_task(
    session: Session,
    *,
    directive: Directive,
    kind: TaskKind,
    prompt: str,
    base_ref: str,
    branch: str,
    step: Step | None = None,
    attempt: int = 1,
    merge_refs: tuple[str, ...] = (),
    resume_session_id: str | None = None,
    run_verifiers: bool = True,
    step_name: str | None = None,
    completion_round: int | None = None,
    diff_base_ref: str | None = None,
) -> Task:
    """Insert a task, queue it and publish its RunTask after the commit."""
    settings = get_settings()
    task = Task(
        directive_id=directive.id,
        step_id=step.id if step else None,
        kind=kind,
        attempt=attempt,
        generation=directive.generation,
        pool=directive.pool,
        runtime=directive.runtime,
        model=directive.model,
        prompt=prompt,
        base_ref=base_ref,
        merge_refs=list(merge_refs),
        branch=branch,
        resume_session_id=resume_session_id,
        completion_round=completion_round,
    )
    session.add(task)
    session.flush()
    _key, token = create_api_key(
        session,
        owner_id=directive.owner_id,
        name=f"task {task.id}",
        scope=TokenScope.TASK,
        directive_id=directive.id,
        task_id=task.id,
        expires_in_seconds=settings.task_token_ttl_seconds,
    )
    now = datetime.now(UTC)
    transition(
        session,
        directive_id=directive.id,
        row_id=task.id,
        current=TaskStatus.PENDING,
        target=TaskStatus.QUEUED,
        reason=f"{kind.value} task queued for pool {directive.pool}",
        step_id=task.step_id,
        values={"queued_at": now},
        data={"kind": kind.value, "attempt": attempt, "base_ref": base_ref, "branch": branch},
    )
    message = RunTask(
        task_id=task.id,
        attempt=attempt,
        kind=kind,
        directive_id=directive.id,
        step_id=task.step_id,
        step_name=step_name or (step.name if step else kind.value),
        repository=directive.repository,
        base_ref=base_ref,
        # The directive branch is gone once its PR was merged and the branch deleted:
        # work then starts from the base branch again (and a new PR is opened).
        base_fallback_ref=(
            directive.base_branch
            if directive.pr_branch is not None and base_ref == directive.pr_branch
            else None
        ),
        merge_refs=merge_refs,
        branch=branch,
        prompt=prompt,
        runtime=directive.runtime,
        model=directive.model,
        max_turns=directive.max_turns,
        timeout_seconds=directive.session_timeout_seconds,
        resume_session_id=resume_session_id,
        verifier_commands=tuple(tuple(argv) for argv in directive.verifier_commands),
        auto_verifiers=directive.auto_verifiers,
        run_verifiers=run_verifiers,
        diff_base_ref=diff_base_ref,
        api_url=settings.api_url,
        api_token=token,
    )
    after_commit(session, lambda: publish_run_task(message, pool=directive.pool))
    return task


def publish_run_task(message: RunTask, *, pool: str) -> None:
    from orchestrator.celery_app import app

    app.send_task(
        TASK_RUN,
        args=[message.model_dump(mode="json")],
        queue=daemon_queue(pool),
        task_id=f"{message.task_id}:{message.attempt}",
    )


def live_task_for_step(session: Session, *, step_id: uuid.UUID) -> Task | None:
    from schemas.statuses import TASK_LIVE

    return session.scalars(
        select(Task).where(Task.step_id == step_id, Task.status.in_(TASK_LIVE)).limit(1)
    ).one_or_none()
