"""The live event stream of a directive, as server-sent events.

The stream polls PostgreSQL with the event id as a cursor (the event log is the truth; no
Redis pub/sub to lose messages in): every `sse_poll_seconds` it reads the events after the
last one sent, each in a short transaction of its own, so a long stream holds no database
connection between polls. A reconnecting client resumes with `Last-Event-ID`. A comment
line keeps idle connections (and proxies) alive. When the client disconnects, Starlette
cancels the generator at its next await.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import anyio.to_thread
from starlette.requests import Request

from orchestrator.db import session_scope
from orchestrator.repository.events import list_events
from schemas.events import EventPublic

KEEPALIVE_SECONDS = 15.0
_BATCH = 500

STREAM_DOCS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "Server-sent events, one per directive event: `id: <event id>`, "
            "`event: <event type>`, `data: <EventPublic as JSON>`; comment lines keep the "
            "connection alive. Resume with the `Last-Event-ID` header or `after_id`."
        ),
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "itemSchema": {
                    "type": "object",
                    "required": ["id", "event", "data"],
                    "properties": {
                        "id": {"type": "string", "description": "The event id (a cursor)."},
                        "event": {"type": "string", "description": "The event type."},
                        "data": {
                            "type": "string",
                            "contentMediaType": "application/json",
                            "contentSchema": {"$ref": "#/components/schemas/EventPublic"},
                        },
                    },
                },
            }
        },
    }
}


def format_event(event: EventPublic) -> bytes:
    """One SSE message; the JSON payload never contains a raw newline."""
    return (
        f"id: {event.id}\nevent: {event.type.value}\ndata: {event.model_dump_json()}\n\n"
    ).encode()


def _fetch(directive_id: uuid.UUID, after_id: int) -> list[EventPublic]:
    with session_scope() as session:
        return [
            EventPublic.model_validate(e)
            for e in list_events(
                session, directive_id=directive_id, after_id=after_id, limit=_BATCH
            )
        ]


async def event_stream(
    request: Request, directive_id: uuid.UUID, *, after_id: int, poll_seconds: float
) -> AsyncIterator[bytes]:
    """Events after `after_id`, then every new one as it is recorded, until disconnect."""
    cursor = after_id
    last_sent = time.monotonic()
    yield b": connected\n\n"
    # Servers on ASGI spec < 2.4 make Starlette cancel us on disconnect; on 2.4 a failed
    # send does. Checking here as well stops polling even while nothing is being sent.
    while not await request.is_disconnected():
        events = await anyio.to_thread.run_sync(_fetch, directive_id, cursor)
        for event in events:
            yield format_event(event)
            cursor = event.id
        now = time.monotonic()
        if events:
            last_sent = now
        elif now - last_sent >= KEEPALIVE_SECONDS:
            yield b": keep-alive\n\n"
            last_sent = now
        if len(events) < _BATCH:
            await anyio.sleep(poll_seconds)
