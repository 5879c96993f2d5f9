"""The event log over HTTP: pages, filters, the live SSE stream, and task output."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from orchestrator.db import session_scope
from orchestrator.models import Directive, Step
from orchestrator.phases.monitoring import record_task_update
from orchestrator.phases.tasking import create_task
from schemas.enums import TaskKind
from schemas.messages import OutputEvent, TaskOutput
from tests.integration.api.conftest import MakeDirective


def test_events_paging_and_filters(client: httpx.Client, make_directive: MakeDirective) -> None:
    detail = make_directive(plan=[{"name": "a"}, {"name": "b"}])
    did = detail["directive"]["id"]
    step_a = detail["steps"][0]["id"]
    for title in ("t1", "t2", "t3"):
        client.patch(f"/api/v1/directives/{did}", json={"title": title})
    url = f"/api/v1/directives/{did}/events"

    everything = client.get(url).json()
    types = [e["type"] for e in everything["events"]]
    assert types == [
        "directive_created",
        "step_added",
        "step_added",
        "plan_submitted",
        "directive_updated",
        "directive_updated",
        "directive_updated",
    ]
    ids = [e["id"] for e in everything["events"]]
    assert ids == sorted(ids) and everything["next_after_id"] == ids[-1]

    first = client.get(url, params={"limit": 3}).json()
    assert [e["id"] for e in first["events"]] == ids[:3]
    rest = client.get(url, params={"after_id": first["next_after_id"], "limit": 100}).json()
    assert [e["id"] for e in rest["events"]] == ids[3:]
    empty = client.get(url, params={"after_id": ids[-1]}).json()
    assert empty == {"events": [], "next_after_id": ids[-1]}

    two_types = client.get(url, params=[("type", "plan_submitted"), ("type", "directive_created")])
    assert [e["type"] for e in two_types.json()["events"]] == [
        "directive_created",
        "plan_submitted",
    ]
    of_step = client.get(url, params={"step_id": step_a}).json()["events"]
    assert [(e["type"], e["step_id"]) for e in of_step] == [("step_added", step_a)]

    bad = client.get(url, params={"type": "nonsense"})
    assert bad.status_code == 422 and bad.json()["field"] == "type[0]"
    assert client.get(url, params={"limit": 0}).json()["field"] == "limit"


def _sse_messages(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    """Parse an SSE stream into messages (comments skipped)."""
    message: dict[str, Any] = {}
    for line in lines:
        if line == "":
            if message:
                yield message
            message = {}
        elif not line.startswith(":"):
            key, _, value = line.partition(": ")
            message[key] = value


def test_stream_sends_events_recorded_after_connecting(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive()["directive"]["id"]
    last = client.get(f"/api/v1/directives/{did}/events").json()["next_after_id"]
    with client.stream(
        "GET", f"/api/v1/directives/{did}/events/stream", params={"after_id": last}, timeout=10
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        assert client.patch(f"/api/v1/directives/{did}", json={"title": "live"}).status_code == 200
        message = next(_sse_messages(lines))
    assert message["event"] == "directive_updated"
    data = json.loads(message["data"])
    assert data["data"] == {"fields": ["title"]} and data["directive_id"] == did
    assert message["id"] == str(data["id"]) and data["id"] > last


def test_stream_resumes_from_last_event_id(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive(plan=[{"name": "a"}])["directive"]["id"]
    events = client.get(f"/api/v1/directives/{did}/events").json()["events"]
    with client.stream(
        "GET",
        f"/api/v1/directives/{did}/events/stream",
        headers={"Last-Event-ID": str(events[1]["id"])},
        params={"after_id": 0},
        timeout=10,
    ) as stream:
        messages = _sse_messages(stream.iter_lines())
        got = [next(messages) for _ in events[2:]]
    assert [int(m["id"]) for m in got] == [e["id"] for e in events[2:]]
    bad = client.get(f"/api/v1/directives/{did}/events/stream", headers={"Last-Event-ID": "abc"})
    assert bad.status_code == 422 and bad.json()["field"] == "Last-Event-ID"


def test_tasks_and_their_output(
    client: httpx.Client,
    other_client: httpx.Client,
    make_directive: MakeDirective,
    database_url: str,
    task_client_for: Callable[[str], httpx.Client],
) -> None:
    detail = make_directive(plan=[{"name": "a"}])
    did, step_id = detail["directive"]["id"], detail["steps"][0]["id"]
    now = datetime.now(UTC)
    with session_scope(database_url) as session:
        directive = session.get_one(Directive, uuid.UUID(did))
        step = session.get_one(Step, uuid.UUID(step_id))
        task = create_task(
            session,
            directive=directive,
            kind=TaskKind.EXECUTE,
            prompt="do a",
            base_ref="main",
            branch="makima/a",
            step=step,
        )
        task_id = str(task.id)
    with session_scope(database_url) as session:
        record_task_update(
            session,
            TaskOutput(
                task_id=uuid.UUID(task_id),
                attempt=1,
                events=tuple(
                    OutputEvent(seq=i, at=now, kind="text", text=f"line {i}") for i in range(5)
                ),
            ),
        )

    tasks = client.get(f"/api/v1/directives/{did}/tasks").json()
    assert [(t["id"], t["kind"], t["status"], t["step_id"]) for t in tasks] == [
        (task_id, "execute", "queued", step_id)
    ]
    live = client.get(f"/api/v1/directives/{did}").json()["chain"]["live_tasks"]
    assert [t["id"] for t in live] == [task_id]

    page = client.get(f"/api/v1/tasks/{task_id}/output", params={"limit": 2}).json()
    assert [o["text"] for o in page["output"]] == ["line 0", "line 1"]
    rest = client.get(
        f"/api/v1/tasks/{task_id}/output", params={"after_id": page["next_after_id"]}
    ).json()
    assert [o["seq"] for o in rest["output"]] == [2, 3, 4]
    assert other_client.get(f"/api/v1/tasks/{task_id}/output").status_code == 404
    # A task key sees the output of its own directive's tasks only.
    own_key = task_client_for(did)
    assert own_key.get(f"/api/v1/tasks/{task_id}/output").status_code == 200
    elsewhere = task_client_for(make_directive(title="elsewhere")["directive"]["id"])
    assert elsewhere.get(f"/api/v1/tasks/{task_id}/output").status_code == 404
