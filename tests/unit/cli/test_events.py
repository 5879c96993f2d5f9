"""The event log: pages, filters, and `watch` following the SSE stream to the end."""

from __future__ import annotations

import json

from orchestrator.cli import errors
from schemas.enums import EventType
from schemas.events import EventPage
from schemas.statuses import DirectiveStatus
from tests.unit.cli import builders
from tests.unit.cli.conftest import Cli
from tests.unit.cli.fake_api import Sse, dump

D = builders.directive(status=DirectiveStatus.ACTIVE)
BASE = f"/api/v1/directives/{D.id}"


def _sse(event_id: int, type: EventType, message: str, **data: object) -> Sse:
    event = builders.event(D.id, event_id, type, message, **data)
    return Sse(id=event_id, data=event.model_dump_json())


def _page(first: int, last: int) -> dict[str, object]:
    events = [
        builders.event(D.id, i, EventType.STEP_STATUS, f"e{i}") for i in range(first, last + 1)
    ]
    return {"events": dump(events), "next_after_id": last if events else first - 1}


def test_events_reads_every_page_and_prints_lines(cli: Cli) -> None:
    cli.api.on("GET", f"{BASE}/events", (200, _page(1, 2)), (200, _page(3, 3)), (200, _page(4, 3)))

    result = cli("directive", "events", str(D.id), "--type", "step_status", "--type", "merge")

    assert result.exit_code == 0, result.stderr
    assert [line.split()[-1] for line in result.stdout.splitlines()] == ["e1", "e2", "e3"]
    assert "step_status" in result.stdout.splitlines()[0]
    sent = cli.api.sent("GET", f"{BASE}/events")
    assert [r.query["after_id"] for r in sent] == [["0"], ["2"], ["3"]]
    assert sent[0].query["type"] == ["step_status", "merge"]


def test_events_with_a_limit_reads_one_page_as_json(cli: Cli) -> None:
    cli.api.on("GET", f"{BASE}/events", (200, _page(6, 7)))

    result = cli("directive", "events", str(D.id), "--after", "5", "--limit", "2", "--json")

    assert result.exit_code == 0, result.stderr
    page = EventPage.model_validate_json(result.stdout)
    assert [e.id for e in page.events] == [6, 7]
    assert page.next_after_id == 7
    assert cli.api.sent("GET", f"{BASE}/events")[0].query == {"after_id": ["5"], "limit": ["2"]}


def test_watch_reconnects_from_the_last_id_and_exits_0_on_completion(cli: Cli) -> None:
    completed = D.model_copy(update={"status": DirectiveStatus.COMPLETED})
    cli.api.on(
        "GET", BASE, (200, dump(builders.detail(D))), (200, dump(builders.detail(completed)))
    )
    cli.api.on(
        "GET",
        f"{BASE}/events/stream",
        (
            200,
            [
                _sse(1, EventType.STEP_STATUS, "one"),
                _sse(2, EventType.MERGE, "two"),
                Sse(drop=True),
            ],
        ),
        (
            200,
            [
                _sse(
                    3,
                    EventType.DIRECTIVE_STATUS,
                    "directive completing → completed",
                    to="completed",
                )
            ],
        ),
    )

    result = cli("directive", "watch", str(D.id))

    assert result.exit_code == 0, result.stderr
    assert [line.split("  ")[-1].strip() for line in result.stdout.splitlines()] == [
        "one",
        "two",
        "directive completing → completed",
    ]
    streams = cli.api.sent("GET", f"{BASE}/events/stream")
    assert [r.query["after_id"] for r in streams] == [["0"], ["2"]]
    assert [r.headers["last-event-id"] for r in streams] == ["0", "2"]


def test_watch_does_not_stop_on_a_replayed_old_final_event(cli: Cli) -> None:
    # The directive completed once, then a goal edit re-planned it: still active.
    failed = D.model_copy(update={"status": DirectiveStatus.FAILED})
    cli.api.on(
        "GET",
        BASE,
        (200, dump(builders.detail(D))),
        (200, dump(builders.detail(D))),
        (200, dump(builders.detail(failed))),
    )
    cli.api.on(
        "GET",
        f"{BASE}/events/stream",
        (
            200,
            [
                _sse(1, EventType.DIRECTIVE_STATUS, "old completion", to="completed"),
                _sse(2, EventType.GOAL_CHANGED, "goal changed"),
                _sse(3, EventType.DIRECTIVE_STATUS, "now failed", to="failed"),
            ],
        ),
    )

    result = cli("directive", "watch", str(D.id), "--json")

    assert result.exit_code == errors.EXIT_FAILURE
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [1, 2, 3]


def test_watch_of_a_finished_directive_prints_the_log_and_exits(cli: Cli) -> None:
    stopped = D.model_copy(update={"status": DirectiveStatus.STOPPED})
    cli.api.json("GET", BASE, builders.detail(stopped))
    cli.api.on("GET", f"{BASE}/events", (200, _page(1, 1)), (200, _page(2, 1)))

    result = cli("directive", "watch", str(D.id))

    assert result.exit_code == errors.EXIT_FAILURE
    assert result.stdout.splitlines()[0].endswith("e1")
    assert cli.api.sent("GET", f"{BASE}/events/stream") == []
