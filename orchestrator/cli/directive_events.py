"""The event log of a directive: `events` (a page, all pages, or `--follow`) and `watch`.

Both follow the API's SSE stream; a dropped connection is retried from the last event id
seen (sent as `Last-Event-ID` and `after_id`), so no event is shown twice or lost.
`watch` ends when the directive reaches completed (exit 0), failed or stopped (exit 1), and
shows running agents' output under the events (orchestrator.cli.output_tail).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Annotated
from uuid import UUID

import httpx
import typer

from orchestrator.cli import output
from orchestrator.cli.client import ApiClient
from orchestrator.cli.context import DirectiveArg, JsonOpt, client
from orchestrator.cli.errors import EXIT_FAILURE, EXIT_OK
from orchestrator.cli.output_tail import OutputTail
from orchestrator.cli.refs import resolve_directive, resolve_step
from schemas.enums import EventType
from schemas.events import EventPage, EventPublic
from schemas.statuses import DirectiveStatus

FINAL = frozenset({DirectiveStatus.COMPLETED, DirectiveStatus.FAILED, DirectiveStatus.STOPPED})
RECONNECT_MIN_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 10.0


def exit_code_for(status: DirectiveStatus) -> int:
    return EXIT_OK if status is DirectiveStatus.COMPLETED else EXIT_FAILURE


def follow_events(
    api: ApiClient, directive_id: UUID, *, after: int, on_event: Callable[[EventPublic], bool]
) -> None:
    """Feed `on_event` every event after `after`, live, until it answers True.

    The first connection failing is an error (the server is not there); later failures are
    a dropped connection, retried with backoff from the last id seen.
    """
    cursor, delay, first = after, RECONNECT_MIN_SECONDS, True
    while True:
        try:
            for event in api.stream_events(directive_id, after_id=cursor):
                cursor, delay = event.id, RECONNECT_MIN_SECONDS
                if on_event(event):
                    return
        except httpx.TransportError as exc:
            if first:
                raise api.unreachable(exc) from exc
            typer.echo(f"connection lost ({exc or type(exc).__name__}); retrying", err=True)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)
        first = False
        time.sleep(delay)


def _all_events(
    api: ApiClient,
    directive_id: UUID,
    *,
    after: int,
    limit: int | None,
    types: Sequence[EventType],
    step_id: UUID | None,
) -> EventPage:
    """One page with --limit; otherwise every page, joined."""
    page = api.list_events(directive_id, after_id=after, limit=limit, types=types, step_id=step_id)
    events, cursor = list(page.events), max(after, page.next_after_id)
    while limit is None and page.events:
        page = api.list_events(directive_id, after_id=cursor, types=types, step_id=step_id)
        if page.next_after_id <= cursor:
            break
        events.extend(page.events)
        cursor = page.next_after_id
    return EventPage(events=events, next_after_id=cursor)


def _printer(as_json: bool) -> Callable[[EventPublic], None]:
    def show(event: EventPublic) -> None:
        if as_json:
            output.print_json_line(event)
        else:
            typer.echo(output.event_line(event))

    return show


def events(
    ctx: typer.Context,
    directive: DirectiveArg,
    event_type: Annotated[
        list[EventType] | None, typer.Option("--type", help="Only this type (repeatable).")
    ] = None,
    step: Annotated[str | None, typer.Option("--step", help="Only this step (name or id).")] = None,
    after: Annotated[int, typer.Option("--after", min=0, help="Only events after this id.")] = 0,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="One page of this size (default: all).")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep printing new events (JSON Lines with --json).")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """The directive's event log, oldest first."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    types = list(event_type or [])
    step_id = resolve_step(api.list_steps(directive_id), step).id if step else None
    if follow:
        show = _printer(json_output)

        def matching(event: EventPublic) -> bool:
            if (not types or event.type in types) and (step_id is None or event.step_id == step_id):
                show(event)
            return False

        follow_events(api, directive_id, after=after, on_event=matching)
        return
    page = _all_events(api, directive_id, after=after, limit=limit, types=types, step_id=step_id)
    if json_output:
        output.print_json(page)
        return
    if not page.events:
        typer.echo("no events")
    for event in page.events:
        typer.echo(output.event_line(event))


def watch(
    ctx: typer.Context,
    directive: DirectiveArg,
    after: Annotated[int, typer.Option("--after", min=0, help="Start after this event id.")] = 0,
    agent_output: Annotated[
        bool, typer.Option("--output/--no-output", help="Also print what running agents do.")
    ] = True,
    json_output: JsonOpt = False,
) -> None:
    """Follow the directive live until it completes (exit 0), fails or stops (exit 1)."""
    api = client(ctx)
    directive_id = resolve_directive(api, directive)
    show = _printer(json_output)
    status = api.get_directive(directive_id).directive.status
    if status in FINAL:
        # Already over: print what is left of the log instead of waiting for news.
        for event in _all_events(
            api, directive_id, after=after, limit=None, types=(), step_id=None
        ).events:
            show(event)
        raise typer.Exit(exit_code_for(status))
    final: list[DirectiveStatus] = []
    tail = OutputTail(api) if agent_output and not json_output else None

    def until_final(event: EventPublic) -> bool:
        show(event)
        if tail is not None:
            tail.on_event(event)
        if event.type is EventType.DIRECTIVE_STATUS and event.data.get("to") in FINAL:
            # Confirm with the directive itself: a replayed old event is not the end.
            current = api.get_directive(directive_id).directive.status
            if current in FINAL:
                final.append(current)
                return True
        return False

    try:
        follow_events(api, directive_id, after=after, on_event=until_final)
    finally:
        if tail is not None:
            tail.close()
    raise typer.Exit(exit_code_for(final[0]))
