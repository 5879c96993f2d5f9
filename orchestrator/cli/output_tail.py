"""Agent output under `makima directive watch`: what each running session does, live.

The event stream says when a task starts and ends; for each running task a thread polls
its output pages (the API keeps every line the daemon reported) and prints them indented
under the events, until the task's end event arrives and the last page is drained.
"""

from __future__ import annotations

import threading
from uuid import UUID

import httpx
import typer

from orchestrator.cli.client import ApiClient
from orchestrator.cli.errors import CliError
from schemas.enums import EventType
from schemas.events import EventPublic
from schemas.statuses import TASK_TERMINAL, TaskStatus

POLL_SECONDS = 0.5
TEXT_CHARS = 300


class OutputTail:
    def __init__(self, api: ApiClient) -> None:
        self._api = api
        self._lock = threading.Lock()
        self._tails: dict[UUID, tuple[threading.Thread, threading.Event]] = {}

    def on_event(self, event: EventPublic) -> None:
        """Start tailing a task when it starts running; stop when it ends."""
        if event.type is not EventType.TASK_STATUS or event.task_id is None:
            return
        target = event.data.get("to")
        if target == TaskStatus.RUNNING.value:
            self._start(event.task_id)
        elif target in {s.value for s in TASK_TERMINAL}:
            self._stop(event.task_id)

    def close(self) -> None:
        for task_id in list(self._tails):
            self._stop(task_id)

    def _start(self, task_id: UUID) -> None:
        with self._lock:
            if task_id in self._tails:
                return
            done = threading.Event()
            thread = threading.Thread(target=self._tail, args=(task_id, done), daemon=True)
            self._tails[task_id] = (thread, done)
        thread.start()

    def _stop(self, task_id: UUID) -> None:
        with self._lock:
            entry = self._tails.pop(task_id, None)
        if entry is not None:
            entry[1].set()
            entry[0].join(POLL_SECONDS * 4)

    def _tail(self, task_id: UUID, done: threading.Event) -> None:
        cursor, short = 0, str(task_id)[:8]
        while True:
            finishing = done.is_set()
            try:
                page = self._api.task_output(task_id, after_id=cursor)
            except (CliError, httpx.HTTPError):
                return  # the event stream reports connection trouble; output is a bonus
            for line in page.output:
                text = " ".join(line.text.split())[:TEXT_CHARS]
                typer.echo(f"    │ {short} {line.kind:<11} {text}")
            cursor = max(cursor, page.next_after_id)
            if finishing:
                return
            done.wait(POLL_SECONDS)
