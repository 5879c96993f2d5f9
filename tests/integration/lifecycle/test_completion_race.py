"""Completion claims racing: workers, ticks and in-process passes never start two tasks."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from celery import Celery
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from orchestrator.db import session_scope
from orchestrator.models import Directive, Step, Task
from orchestrator.phases.completion import complete_directive
from orchestrator.repository.transitions import transition
from schemas import wire
from schemas.enums import TaskKind
from schemas.statuses import AnyStatus, DirectiveStatus, StepStatus, TaskStatus
from tests.integration.conftest import _spawn, _stop, wait_for
from tests.integration.lifecycle.helpers import create_directive, start
from tests.support.sample_repo import make_sample_repo, script

CLAIMERS = 6


def _tasks(engine: Engine, directive_id: uuid.UUID, *kinds: TaskKind) -> list[Task]:
    """The directive's tasks (of these kinds, if any are given)."""
    query = select(Task).where(Task.directive_id == directive_id)
    if kinds:
        query = query.where(Task.kind.in_(kinds))
    with Session(engine) as session:
        return list(session.scalars(query))


COMPLETION_KINDS = (TaskKind.COMPLETE, TaskKind.RESOLVE_CONFLICTS)


def _bring_to_completing(database_url: str, directive_id: uuid.UUID) -> None:
    """The step's queued task ends and the step passes, through the production guards."""
    with session_scope(database_url) as session:
        directive = session.get(Directive, directive_id, with_for_update=True)
        assert directive is not None
        [step] = session.scalars(select(Step).where(Step.directive_id == directive_id)).all()
        task = session.get(Task, step.current_task_id)
        assert task is not None
        moves: list[tuple[uuid.UUID, AnyStatus, AnyStatus, dict[str, Any]]] = [
            (task.id, TaskStatus.QUEUED, TaskStatus.DONE, {"commit": "0" * 40}),
            (step.id, StepStatus.RUNNING, StepStatus.EVALUATING, {"branch": "makima/only-x"}),
            (step.id, StepStatus.EVALUATING, StepStatus.PASSED, {"passed_at": datetime.now(UTC)}),
            (directive_id, DirectiveStatus.ACTIVE, DirectiveStatus.COMPLETING,
             {"completion_round": 1}),
        ]
        for row_id, current, target, values in moves:
            assert transition(
                session,
                directive_id=directive_id,
                row_id=row_id,
                current=current,
                target=target,
                reason="race test setup",
                values=values,
            )


def test_racing_completion_claims_start_one_task(
    stack: httpx.Client,
    clean_db: Engine,
    stack_env: dict[str, str],
    state_dir: Path,
    database_url: str,
    tmp_path: Path,
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    # Pool "race" has no daemon: the completion task stays queued, so only claims race.
    plan = [{"name": "only", "task_plan": script('{"say": "ok"}')}]
    directive_id = uuid.UUID(
        create_directive(stack, repo, plan, agent={"runtime": "scripted", "pool": "race"})[
            "directive"
        ]["id"]
    )
    start(stack, str(directive_id))
    wait_for(lambda: any(t.kind is TaskKind.EXECUTE for t in _tasks(clean_db, directive_id)))

    second = _spawn(
        "orchestrator-worker-completion-race",
        [sys.executable, "-m", "celery", "-A", "orchestrator.celery_app", "worker",
         "-Q", "orchestrator,control", "-n", "orchestrator-completion-race@%h",
         "--concurrency", "2", "--loglevel", "INFO"],
        stack_env,
        state_dir,
    )
    try:
        log = state_dir / "orchestrator-worker-completion-race.log"
        wait_for(lambda: b"ready" in log.read_bytes(), 60)
        app = Celery(broker=stack_env["MAKIMA_REDIS_URL"])
        _bring_to_completing(database_url, directive_id)
        for _ in range(10):
            app.send_task(wire.TASK_TICK, queue=wire.QUEUE_CONTROL)
            app.send_task(wire.TASK_COMPLETE, args=[str(directive_id)],
                          queue=wire.QUEUE_ORCHESTRATOR)
        barrier = threading.Barrier(CLAIMERS)

        def claim() -> None:
            barrier.wait()
            with session_scope(database_url) as session:
                complete_directive(session, directive_id=directive_id)

        threads = [threading.Thread(target=claim) for _ in range(CLAIMERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        wait_for(lambda: _tasks(clean_db, directive_id, *COMPLETION_KINDS), 30)
        time.sleep(3)  # let every racing message land
        claimed = _tasks(clean_db, directive_id, *COMPLETION_KINDS)
        assert [(t.kind, t.completion_round, t.status) for t in claimed] == [
            (TaskKind.COMPLETE, 1, TaskStatus.QUEUED)
        ]
        assert claimed[0].merge_refs == ["makima/only-x"]
        with Session(clean_db) as session:
            directive = session.get(Directive, directive_id)
            assert directive is not None and directive.status is DirectiveStatus.COMPLETING
        app.close()
    finally:
        _stop(second)

