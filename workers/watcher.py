"""The watcher thread of one running task.

It is the task's clock: every tick it flushes batched output, about every second it polls
the cancel key in Redis, it enforces the session's time limit and the daemon's shutdown,
and every `heartbeat_seconds` it sends a TaskHeartbeat. Stopping is only ever requested
through the task's StopSignal; the process runner does the killing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from workers.processes import StopReason, StopSignal
from workers.reporter import TaskReporter

log = logging.getLogger(__name__)

TICK_SECONDS = 0.1


class TaskWatcher:
    def __init__(
        self,
        *,
        reporter: TaskReporter,
        stop: StopSignal,
        is_cancelled: Callable[[], bool],
        shutdown: threading.Event,
        heartbeat_seconds: float,
        cancel_poll_seconds: float,
    ) -> None:
        self.reporter = reporter
        self.stop = stop
        self.is_cancelled = is_cancelled
        self.shutdown = shutdown
        self.heartbeat_seconds = heartbeat_seconds
        self.cancel_poll_seconds = cancel_poll_seconds
        self._deadline: float | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"watch-{reporter.task.task_id}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=10)

    def arm_deadline(self, seconds: float) -> None:
        """Stop the task as TIMED_OUT `seconds` from now (the agent session's limit)."""
        self._deadline = time.monotonic() + seconds

    def disarm_deadline(self) -> None:
        self._deadline = None

    def _cancel_requested(self) -> bool:
        try:
            return self.is_cancelled()
        except Exception:  # Redis briefly away: keep running, poll again next second
            log.warning("could not poll the cancel key of %s", self.reporter.task.task_id,
                        exc_info=True)
            return False

    def _loop(self) -> None:
        next_poll = 0.0
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        while not self._done.wait(TICK_SECONDS):
            now = time.monotonic()
            self.reporter.flush()
            if self.shutdown.is_set():
                self.stop.stop(StopReason.SHUTDOWN)
            if now >= next_poll:
                next_poll = now + self.cancel_poll_seconds
                if self._cancel_requested():
                    self.stop.stop(StopReason.CANCELLED)
            deadline = self._deadline
            if deadline is not None and now >= deadline:
                self.stop.stop(StopReason.TIMED_OUT)
            if now >= next_heartbeat:
                next_heartbeat = now + self.heartbeat_seconds
                self.reporter.heartbeat()
