"""Following the demo directive through the API until it has a pull request or stops short.

Each poll reads the directive first and the new events after it, so the events shown
always include everything that led to the status just read (events are written when their
transaction commits). Polling, rather than the SSE stream, because every frame needs the
whole picture (steps, tasks, costs), not only the news.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from uuid import UUID

from orchestrator.cli.client import ApiClient
from orchestrator.cli.errors import ApiError, CliError
from orchestrator.demo.progress import MAX_EVENTS, Snapshot, agent_text
from orchestrator.demo.terminal import ProgressView
from schemas.events import EventPublic
from schemas.pulls import PullRequestPublic
from schemas.statuses import DirectiveStatus, TaskStatus
from schemas.steps import TaskPublic

POLL_SECONDS = 0.5
STOPPED_SHORT = frozenset({DirectiveStatus.PAUSED, DirectiveStatus.FAILED, DirectiveStatus.STOPPED})
KEPT_EVENTS = 4 * MAX_EVENTS


@dataclass(frozen=True)
class FollowResult:
    snapshot: Snapshot
    timed_out: bool = False

    @property
    def pull_request(self) -> PullRequestPublic | None:
        return self.snapshot.pull_request

    @property
    def status(self) -> DirectiveStatus:
        return self.snapshot.detail.directive.status

    @property
    def succeeded(self) -> bool:
        return self.status is DirectiveStatus.COMPLETED and self.pull_request is not None


def pull_request_or_none(api: ApiClient, directive_id: UUID) -> PullRequestPublic | None:
    """The directive's pull request; None while there is none (404)."""
    try:
        return api.pull_request(directive_id)
    except ApiError as exc:
        if exc.status == 404:
            return None
        raise


def new_events(api: ApiClient, directive_id: UUID, *, after: int) -> list[EventPublic]:
    """Every event after `after`, all pages."""
    found: list[EventPublic] = []
    cursor = after
    while True:
        page = api.list_events(directive_id, after_id=cursor)
        if not page.events or page.next_after_id <= cursor:
            return found
        found.extend(page.events)
        cursor = page.next_after_id


class AgentActivity:
    """What the steps' agents do and say (tool calls, text, results), from their output pages.

    Every session is read until one read after it ended, so a short session is not missed.
    The output is a bonus: an answer that cannot be read is skipped and tried next time.
    """

    KINDS = frozenset({"tool_use", "text", "result"})

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._cursors: dict[UUID, int] = {}
        self._latest: dict[UUID, str] = {}
        self._drained: set[UUID] = set()

    def poll(self, tasks: Sequence[TaskPublic]) -> tuple[dict[UUID, str], list[tuple[UUID, str]]]:
        """(step id → latest line of its running session, every new line as (step id, line))."""
        latest: dict[UUID, str] = {}
        new: list[tuple[UUID, str]] = []
        for task in tasks:
            if task.step_id is None or task.id in self._drained:
                continue
            if task.status in (TaskStatus.PENDING, TaskStatus.QUEUED):
                continue
            ended = task.status is not TaskStatus.RUNNING
            try:
                page = self.api.task_output(task.id, after_id=self._cursors.get(task.id, 0))
            except CliError:
                continue
            for line in page.output:
                if line.kind in self.KINDS:
                    text = agent_text(line.kind, line.text)
                    self._latest[task.id] = text
                    new.append((task.step_id, text))
            self._cursors[task.id] = max(self._cursors.get(task.id, 0), page.next_after_id)
            if ended:
                self._drained.add(task.id)
            elif task.id in self._latest:
                latest[task.step_id] = self._latest[task.id]
        return latest, new


def follow_directive(
    api: ApiClient,
    directive_id: UUID,
    view: ProgressView,
    *,
    timeout: float,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    check_stack: Callable[[], None] = lambda: None,
) -> FollowResult:
    """Poll and show progress until: completed with a pull request, paused / failed /
    stopped, or `timeout` seconds. `check_stack` raises when the stack itself broke."""
    started = clock()
    events: list[EventPublic] = []
    activity = AgentActivity(api)
    while True:
        check_stack()
        detail = api.get_directive(directive_id)
        fresh = new_events(api, directive_id, after=events[-1].id if events else 0)
        events = (events + fresh)[-KEPT_EVENTS:]
        status = detail.directive.status
        pull_request = (
            pull_request_or_none(api, directive_id) if status is DirectiveStatus.COMPLETED
            else None
        )
        tasks = api.list_tasks(directive_id)
        latest, said = activity.poll(tasks)
        snapshot = Snapshot(
            detail=detail,
            tasks=tasks,
            events=tuple(events),
            pull_request=pull_request,
            elapsed_seconds=clock() - started,
            activity=latest,
            agent_lines=said,
        )
        view.update(snapshot, fresh)
        timed_out = clock() - started > timeout
        done = (status is DirectiveStatus.COMPLETED and pull_request is not None) or (
            status in STOPPED_SHORT
        )
        if done or timed_out:
            view.finish(snapshot)
            return FollowResult(snapshot=snapshot, timed_out=timed_out and not done)
        sleep(poll_seconds)
