"""What recording a finished task leads to: the inline handoff, a phase message, or nothing.

Tick-only mode turns every event-driven trigger off, the inline handoff included: the tick
alone advances work. The recording itself and the database are replaced here; the phases
run against the real stack in tests/integration/lifecycle.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from orchestrator import tasks
from orchestrator.config import get_settings
from schemas import wire
from schemas.enums import TaskKind
from schemas.messages import TaskFinished
from schemas.statuses import TaskStatus


@dataclass
class Calls:
    advanced: list[uuid.UUID] = field(default_factory=list)
    enqueued: list[tuple[str, uuid.UUID]] = field(default_factory=list)


@dataclass(frozen=True)
class RecordedTask:
    kind: TaskKind
    directive_id: uuid.UUID = field(default_factory=uuid.uuid4)


@pytest.fixture()
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def _record(monkeypatch: pytest.MonkeyPatch, kind: TaskKind) -> tuple[Calls, RecordedTask]:
    calls, recorded = Calls(), RecordedTask(kind)

    @contextmanager
    def no_database() -> Iterator[object]:
        yield object()

    monkeypatch.setattr(tasks, "session_scope", no_database)
    monkeypatch.setattr(tasks.monitoring, "record_task_update", lambda _s, _m: recorded)
    monkeypatch.setattr(tasks, "_advance_inline", lambda _s, d: calls.advanced.append(d))
    monkeypatch.setattr(
        tasks, "enqueue_after_commit", lambda _s, name, d: calls.enqueued.append((name, d))
    )
    message = TaskFinished(
        task_id=uuid.uuid4(), attempt=1, daemon="d", at=datetime.now(UTC), status=TaskStatus.DONE
    )
    tasks.record_task_update.run(message.model_dump(mode="json"))
    return calls, recorded


def test_a_finished_execute_task_hands_off_inline(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("MAKIMA_TICK_ONLY", "false")
    calls, recorded = _record(settings_env, TaskKind.EXECUTE)
    assert calls == Calls(advanced=[recorded.directive_id])


def test_a_finished_completion_task_enqueues_its_phase(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("MAKIMA_TICK_ONLY", "false")
    calls, recorded = _record(settings_env, TaskKind.COMPLETE)
    assert calls == Calls(enqueued=[(wire.TASK_COMPLETE, recorded.directive_id)])


@pytest.mark.parametrize("kind", [TaskKind.EXECUTE, TaskKind.PLAN, TaskKind.COMPLETE])
def test_tick_only_leaves_the_next_step_to_the_tick(
    settings_env: pytest.MonkeyPatch, kind: TaskKind
) -> None:
    settings_env.setenv("MAKIMA_TICK_ONLY", "true")
    calls, _recorded = _record(settings_env, kind)
    assert calls == Calls()
