"""Two orchestrator workers and two ticks racing: nothing is dispatched twice."""

from __future__ import annotations

import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
from celery import Celery
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from orchestrator.db import session_scope
from orchestrator.models import Step, Task
from orchestrator.phases.execution import dispatch_ready_steps
from schemas import wire
from schemas.statuses import StepStatus
from tests.integration.conftest import _spawn, _stop, wait_for
from tests.integration.lifecycle.helpers import create_directive, detail, events, start
from tests.support.sample_repo import make_sample_repo, script

STEPS = 6


def _task_rows(engine: Engine, directive_id: str) -> list[tuple[uuid.UUID | None, int]]:
    with Session(engine) as session:
        return [
            (step_id, attempt)
            for step_id, attempt in session.execute(
                select(Task.step_id, Task.attempt).where(
                    Task.directive_id == uuid.UUID(directive_id)
                )
            )
        ]


def test_racing_workers_and_ticks_dispatch_each_step_once(
    stack: httpx.Client,
    clean_db: Engine,
    stack_env: dict[str, str],
    state_dir: Path,
    database_url: str,
    tmp_path: Path,
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    # Pool "race" has no daemon: tasks stay queued, so only dispatch is under test.
    plan = [{"name": f"s{i}", "task_plan": script('{"say": "ok"}')} for i in range(STEPS)]
    directive_id = create_directive(
        stack, repo, plan, agent={"runtime": "scripted", "pool": "race"}
    )["directive"]["id"]

    second = _spawn(
        "orchestrator-worker-2",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "orchestrator.celery_app",
            "worker",
            "-Q",
            "orchestrator,control",
            "-n",
            "orchestrator-race@%h",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
        ],
        stack_env,
        state_dir,
    )
    try:
        wait_for(lambda: b"ready" in (state_dir / "orchestrator-worker-2.log").read_bytes(), 60)
        app = Celery(broker=stack_env["MAKIMA_REDIS_URL"])
        start(stack, directive_id)  # itself enqueues a dispatch
        for _ in range(10):
            app.send_task(wire.TASK_TICK, queue=wire.QUEUE_CONTROL)
            app.send_task(wire.TASK_DISPATCH, args=[directive_id], queue=wire.QUEUE_ORCHESTRATOR)
        # And in-process dispatchers on their own connections, all at once.
        barrier = threading.Barrier(4)

        def race() -> None:
            barrier.wait()
            with session_scope(database_url) as session:
                dispatch_ready_steps(session, directive_id=uuid.UUID(directive_id))

        threads = [threading.Thread(target=race) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        wait_for(lambda: len(_task_rows(clean_db, directive_id)) >= STEPS, 30)
        time.sleep(3)  # let every racing message land
        rows = _task_rows(clean_db, directive_id)
        assert len(rows) == STEPS
        assert len({step for step, _attempt in rows}) == STEPS
        assert {attempt for _step, attempt in rows} == {1}
        with Session(clean_db) as session:
            assert (
                session.scalar(
                    select(func.count()).where(
                        Step.directive_id == uuid.UUID(directive_id),
                        Step.status == StepStatus.RUNNING,
                    )
                )
                == STEPS
            )
        # No daemon online for the pool: said once, not on every tick.
        waiting = [e for e in events(stack, directive_id) if e["type"] == "task_waiting"]
        assert len(waiting) == 1
        assert detail(stack, directive_id)["directive"]["status"] == "active"
        app.close()
    finally:
        _stop(second)
