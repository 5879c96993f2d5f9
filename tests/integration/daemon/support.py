"""Helpers for daemon integration tests: a daemon subprocess, a reader of the orchestrator
queue, and RunTask messages published the way the orchestrator publishes them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

from celery import Celery
from kombu.connection import Connection
from kombu.entity import Exchange, Queue

from schemas.enums import TaskKind
from schemas.messages import (
    DAEMON_MESSAGE_ADAPTER,
    TASK_UPDATE_ADAPTER,
    OutputEvent,
    RunTask,
    TaskFinished,
    TaskOutput,
)
from schemas.naming import step_branch_name
from schemas.wire import (
    QUEUE_ORCHESTRATOR,
    TASK_RECORD_DAEMON,
    TASK_RECORD_UPDATE,
    TASK_RUN,
    daemon_queue,
)

POOL = "test"


class UpdateCollector:
    """Consumes the `orchestrator` queue in a thread and keeps every decoded message."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._updates: dict[uuid.UUID, list[Any]] = defaultdict(list)
        self._daemon: list[Any] = []
        self.unknown: list[str] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._consume, daemon=True)

    def start(self) -> UpdateCollector:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the orchestrator queue consumer did not start")
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _consume(self) -> None:
        exchange = Exchange(QUEUE_ORCHESTRATOR, type="direct")  # type: ignore[no-untyped-call]
        queue = Queue(QUEUE_ORCHESTRATOR, exchange,  # type: ignore[no-untyped-call]
                      routing_key=QUEUE_ORCHESTRATOR)
        connection: Any = Connection(self.url)  # type: ignore[no-untyped-call]
        with connection, connection.Consumer(queue, callbacks=[self._on_message],
                                             accept=["json"]):
            self._ready.set()
            while not self._stop.is_set():
                try:
                    connection.drain_events(timeout=0.2)
                except TimeoutError:
                    continue

    def _on_message(self, body: Any, message: Any) -> None:
        task_name = message.headers.get("task")
        payload = body[0][0]  # Celery protocol 2: [args, kwargs, embed]
        with self._lock:
            if task_name == TASK_RECORD_UPDATE:
                update = TASK_UPDATE_ADAPTER.validate_python(payload)
                self._updates[update.task_id].append(update)
            elif task_name == TASK_RECORD_DAEMON:
                self._daemon.append(DAEMON_MESSAGE_ADAPTER.validate_python(payload))
            else:
                self.unknown.append(str(task_name))
        message.ack()

    def updates(self, task_id: uuid.UUID) -> list[Any]:
        with self._lock:
            return list(self._updates[task_id])

    def daemon_messages(self, name: str) -> list[Any]:
        with self._lock:
            return [m for m in self._daemon if m.name == name]

    def output_events(self, task_id: uuid.UUID) -> list[OutputEvent]:
        return [e for u in self.updates(task_id) if isinstance(u, TaskOutput) for e in u.events]

    def wait_for(self, predicate: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")

    def wait_finished(self, task_id: uuid.UUID, timeout: float = 60) -> TaskFinished:
        def finished() -> TaskFinished | None:
            return next((u for u in self.updates(task_id) if isinstance(u, TaskFinished)), None)

        result: TaskFinished = self.wait_for(finished, timeout, f"task {task_id} to finish")
        return result


class Publisher:
    """Publishes RunTask messages the way the orchestrator does."""

    def __init__(self, url: str) -> None:
        self.app = Celery("makima-test-orchestrator", broker=url)
        self.app.conf.task_serializer = "json"
        self.app.conf.broker_connection_retry_on_startup = True

    def publish(self, task: RunTask, pool: str = POOL) -> None:
        self.app.send_task(TASK_RUN, args=[task.model_dump(mode="json")], queue=daemon_queue(pool))

    def publish_raw(self, message: object, pool: str = POOL) -> None:
        self.app.send_task(TASK_RUN, args=[message], queue=daemon_queue(pool))


def make_task(origin: Path, prompt: str, **fields: Any) -> RunTask:
    step_id = fields.pop("step_id", None) or uuid.uuid4()
    step_name = fields.pop("step_name", "Write the greeting")
    values: dict[str, Any] = {
        "task_id": uuid.uuid4(), "attempt": 1, "kind": TaskKind.EXECUTE,
        "directive_id": uuid.uuid4(), "step_id": step_id, "step_name": step_name,
        "repository": str(origin), "base_ref": "main",
        "branch": step_branch_name(step_name, step_id), "prompt": prompt,
        "runtime": "scripted", "timeout_seconds": 60, "api_url": "http://127.0.0.1:9",
        "api_token": "task-token", "auto_verifiers": False,
    }
    values.update(fields)
    return RunTask.model_validate(values)


def make_completion_task(origin: Path, kind: TaskKind, merge_refs: tuple[str, ...],
                         branch: str, **fields: Any) -> RunTask:
    """A complete or resolve_conflicts task as the completion phase sends it: no step."""
    values: dict[str, Any] = {
        "task_id": uuid.uuid4(), "attempt": 1, "kind": kind, "directive_id": uuid.uuid4(),
        "step_id": None, "step_name": f"{kind.value} the directive",
        "repository": str(origin), "base_ref": "main", "merge_refs": merge_refs,
        "branch": branch, "prompt": "Merge the step branches.", "runtime": "scripted",
        "timeout_seconds": 60, "api_url": "http://127.0.0.1:9", "api_token": "task-token",
        "auto_verifiers": False,
    }
    values.update(fields)
    return RunTask.model_validate(values)


def script(*lines: str) -> str:
    return "Do the step.\n```makima-script\n" + "\n".join(lines) + "\n```\n"


class DaemonProcess:
    """`python -m workers` as a subprocess in its own process group."""

    def __init__(self, *, name: str, pool: str, work_dir: Path, env: dict[str, str],
                 log_path: Path, concurrency: int = 2) -> None:
        self.name = name
        self.argv = [sys.executable, "-m", "workers", "--pool", pool, "--concurrency",
                     str(concurrency), "--name", name, "--work-dir", str(work_dir)]
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> DaemonProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.argv, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def signal(self, sig: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL for the whole group if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]
