"""A directive's event log: pages after a cursor, and the live stream."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from orchestrator.api.deps import DirectiveDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.api.sse import STREAM_DOCS, event_stream
from orchestrator.config import get_settings
from orchestrator.errors import ValidationError
from orchestrator.repository.events import list_events
from schemas.enums import EventType
from schemas.events import EventPage, EventPublic

router = APIRouter(
    prefix="/api/v1/directives/{directive_id}/events",
    tags=["events"],
)


@router.get(
    "",
    response_model=EventPage,
    responses=error_responses(404, 422),
    summary="A page of events after a cursor, oldest first",
)
def list_directive_events(
    directive: DirectiveDep,
    session: SessionDep,
    after_id: Annotated[int, Query(ge=0, description="Only events after this id.")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    type: Annotated[
        list[EventType], Query(description="Only these event types (repeatable).")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    step_id: Annotated[uuid.UUID | None, Query(description="Only this step's events.")] = None,
) -> EventPage:
    rows = list_events(
        session,
        directive_id=directive.id,
        after_id=after_id,
        limit=limit,
        types=type,
        step_id=step_id,
    )
    return EventPage(
        events=[EventPublic.model_validate(e) for e in rows],
        next_after_id=rows[-1].id if rows else after_id,
    )


@router.get(
    "/stream",
    response_class=StreamingResponse,
    responses={**STREAM_DOCS, **error_responses(404, 422)},
    summary="Live events as server-sent events",
)
async def stream_directive_events(
    request: Request,
    directive: DirectiveDep,
    after_id: Annotated[int, Query(ge=0, description="Start after this event id.")] = 0,
    last_event_id: Annotated[
        str | None, Header(description="Set by reconnecting clients; wins over after_id.")
    ] = None,
) -> StreamingResponse:
    cursor = after_id
    if last_event_id is not None and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            raise ValidationError("Last-Event-ID must be an event id", field="Last-Event-ID")
        cursor = int(last_event_id.strip())
    return StreamingResponse(
        event_stream(
            request, directive.id, after_id=cursor, poll_seconds=get_settings().sse_poll_seconds
        ),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
