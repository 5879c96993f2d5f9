"""Celery wiring on the real stack: a real worker, a real beat, Redis and PostgreSQL."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from orchestrator.models import SchedulerState
from schemas import wire
from tests.integration.conftest import wait_for


def _tick_state(engine: Engine) -> SchedulerState | None:
    with Session(engine) as session:
        return session.scalars(
            select(SchedulerState).where(SchedulerState.name == wire.TASK_TICK)
        ).one_or_none()


def test_beat_schedules_the_tick_and_the_worker_records_it(
    clean_db: Engine,
    orchestrator_worker: subprocess.Popen[bytes],
    beat: subprocess.Popen[bytes],
) -> None:
    first = wait_for(lambda: _tick_state(clean_db), timeout=60)
    assert isinstance(first, SchedulerState)
    # Several ticks at 0.5 s: the count grows and the time is recent.
    later = wait_for(
        lambda: (
            (s := _tick_state(clean_db)) is not None and s.run_count >= first.run_count + 3 and s
        ),
        timeout=30,
    )
    assert isinstance(later, SchedulerState)
    assert (datetime.now(UTC) - later.last_run_at).total_seconds() < 10
    assert set(later.last_result) == {"daemons_offline", "tasks_interrupted", "phases_enqueued"}


def test_every_phase_task_is_registered_under_its_explicit_name() -> None:
    from orchestrator.celery_app import app

    app.loader.import_default_modules()
    names = set(app.tasks)
    for name in (
        wire.TASK_TICK,
        wire.TASK_PLAN,
        wire.TASK_DISPATCH,
        wire.TASK_MONITOR,
        wire.TASK_EVALUATE,
        wire.TASK_REPLAN,
        wire.TASK_COMPLETE,
        wire.TASK_RECORD_UPDATE,
        wire.TASK_RECORD_DAEMON,
    ):
        assert name in names
    assert app.conf.task_routes[wire.TASK_TICK]["queue"] == wire.QUEUE_CONTROL
    assert app.conf.task_acks_late is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] > 4 * 3600
