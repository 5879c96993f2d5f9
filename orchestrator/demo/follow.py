"""Following the demo directive through the API until it has a pull request or stops short.

Each poll reads the directive first and the new events after it, so the events shown
always include everything that led to the status just read (events are written when their
transaction commits). Polling, rather than the SSE stream, because every frame needs the
whole picture (steps, tasks, costs), not only the news.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from orchestrator.cli.client import ApiClient
from orchestrator.cli.errors import ApiError
from orchestrator.demo.progress import MAX_EVENTS, Snapshot
from orchestrator.demo.terminal import ProgressView
from schemas.events import EventPublic
from schemas.pulls import PullRequestPublic
from schemas.statuses import DirectiveStatus

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


def follow_directive(
    api: ApiClient,
    directive_id: UUID,
    view: ProgressView,
    *,
    timeout: float,
    poll_seconds: float = POLL_SECONDS,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> FollowResult:
    """Poll and show progress until: completed with a pull request, paused / failed /
    stopped, or `timeout` seconds."""
    started = clock()
    events: list[EventPublic] = []
    while True:
        detail = api.get_directive(directive_id)
        fresh = new_events(api, directive_id, after=events[-1].id if events else 0)
        events = (events + fresh)[-KEPT_EVENTS:]
        status = detail.directive.status
        pull_request = (
            pull_request_or_none(api, directive_id) if status is DirectiveStatus.COMPLETED
            else None
        )
        snapshot = Snapshot(
            detail=detail,
            tasks=api.list_tasks(directive_id),
            events=tuple(events),
            pull_request=pull_request,
            elapsed_seconds=clock() - started,
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
