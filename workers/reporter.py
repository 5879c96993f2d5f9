"""Publishing what the daemon has to say on the `orchestrator` queue.

`CeleryPublisher` sends typed messages as Celery tasks (TASK_RECORD_UPDATE for task updates,
TASK_RECORD_DAEMON for daemon messages). `TaskReporter` speaks for one task: started,
heartbeats, output events numbered and batched (one message per `flush_seconds` at most,
sent by the task's watcher thread), and finished, which always flushes the output first so
the orchestrator never sees output after the end.

A message that cannot be published is logged and dropped: the orchestrator notices missing
heartbeats, and the database (not Redis) is the truth.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any, Protocol

from schemas.messages import (
    DaemonAnnounce,
    DaemonGoodbye,
    DaemonHeartbeat,
    OutputEvent,
    RunTask,
    TaskFinished,
    TaskHeartbeat,
    TaskOutput,
    TaskStarted,
)
from schemas.wire import QUEUE_ORCHESTRATOR, TASK_RECORD_DAEMON, TASK_RECORD_UPDATE
from workers.runtimes.base import AgentEvent

log = logging.getLogger(__name__)

MAX_EVENTS_PER_MESSAGE = 200

TaskUpdateMessage = TaskStarted | TaskHeartbeat | TaskOutput | TaskFinished
DaemonMessageType = DaemonAnnounce | DaemonHeartbeat | DaemonGoodbye


def now() -> datetime:
    return datetime.now(UTC)


class Publisher(Protocol):
    def task_update(self, update: TaskUpdateMessage) -> None: ...

    def daemon_message(self, message: DaemonMessageType) -> None: ...


class CeleryPublisher:
    """Sends messages through a Celery app; one lock so threads never share a producer."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._lock = threading.Lock()

    def _send(self, task_name: str, payload: dict[str, Any]) -> None:
        try:
            with self._lock:
                self._app.send_task(task_name, args=[payload], queue=QUEUE_ORCHESTRATOR)
        except Exception:  # a broker outage must not kill the session that reports it
            log.exception("could not publish %s (%s)", task_name, payload.get("type"))

    def task_update(self, update: TaskUpdateMessage) -> None:
        self._send(TASK_RECORD_UPDATE, update.model_dump(mode="json"))

    def daemon_message(self, message: DaemonMessageType) -> None:
        self._send(TASK_RECORD_DAEMON, message.model_dump(mode="json"))


class TaskReporter:
    """Everything one task reports; `event` is safe to call from any thread."""

    def __init__(self, publisher: Publisher, task: RunTask, daemon: str,
                 flush_seconds: float) -> None:
        self.publisher = publisher
        self.task = task
        self.daemon = daemon
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._pending: list[OutputEvent] = []
        self._seq = 0
        self._last_flush = 0.0

    def started(self) -> None:
        self.publisher.task_update(TaskStarted(
            task_id=self.task.task_id, attempt=self.task.attempt, daemon=self.daemon, at=now()))

    def heartbeat(self) -> None:
        self.publisher.task_update(TaskHeartbeat(
            task_id=self.task.task_id, attempt=self.task.attempt, daemon=self.daemon, at=now()))

    def event(self, event: AgentEvent) -> None:
        with self._lock:
            self._pending.append(OutputEvent(seq=self._seq, at=now(), kind=event.kind[:64],
                                             text=event.text, data=event.data))
            self._seq += 1

    def flush(self, *, force: bool = False) -> None:
        """Send the buffered events if `flush_seconds` passed since the last batch (or force)."""
        with self._lock:
            due = force or time.monotonic() - self._last_flush >= self.flush_seconds
            if not self._pending or not due:
                return
            events, self._pending = self._pending, []
            self._last_flush = time.monotonic()
            # Sent under the lock so batches leave in order even when two threads flush.
            for start in range(0, len(events), MAX_EVENTS_PER_MESSAGE):
                self.publisher.task_update(TaskOutput(
                    task_id=self.task.task_id, attempt=self.task.attempt,
                    events=tuple(events[start:start + MAX_EVENTS_PER_MESSAGE])))

    def finished(self, message: TaskFinished) -> None:
        self.flush(force=True)
        self.publisher.task_update(message)
