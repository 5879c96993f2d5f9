"""Orders over HTTP: create, list, show, edit, link to and unlink from directives; a link
to a directive under way starts an order pickup; orders follow their steps (in_progress,
open again, done through `complete_orders` on the real database)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from orchestrator.db import session_scope
from orchestrator.models import Directive
from orchestrator.repository import orders as orders_repo
from orchestrator.repository.transitions import transition
from schemas.statuses import DirectiveStatus
from schemas.statuses import StepStatus as S
from tests.integration.api.conftest import MakeDirective, move_step


def test_orders_crud(client: httpx.Client, other_client: httpx.Client) -> None:
    created = client.post(
        "/api/v1/orders", json={"title": " Dark mode ", "priority": "high", "type": "feature"}
    )
    assert created.status_code == 201, created.text
    order = created.json()
    assert (order["title"], order["priority"], order["status"]) == ("Dark mode", "high", "open")
    client.post("/api/v1/orders", json={"title": "Fix crash", "type": "bug"})

    assert [o["title"] for o in client.get("/api/v1/orders").json()] == ["Dark mode", "Fix crash"]
    assert client.get(f"/api/v1/orders/{order['id']}").json() == order

    patched = client.patch(
        f"/api/v1/orders/{order['id']}", json={"status": "in_progress", "description": "soon"}
    )
    assert patched.status_code == 200
    assert (patched.json()["status"], patched.json()["description"]) == ("in_progress", "soon")
    in_progress = client.get("/api/v1/orders", params={"status": "in_progress"}).json()
    assert [o["id"] for o in in_progress] == [order["id"]]

    refused = client.patch(f"/api/v1/orders/{order['id']}", json={"priority": "urgent"})
    assert refused.status_code == 422 and refused.json()["field"] == "priority"
    assert (
        client.patch(f"/api/v1/orders/{order['id']}", json={"title": None}).json()["field"]
        == "title"
    )
    assert client.post("/api/v1/orders", json={"title": ""}).json()["field"] == "title"

    assert other_client.get("/api/v1/orders").json() == []
    assert other_client.get(f"/api/v1/orders/{order['id']}").status_code == 404
    assert (
        other_client.patch(f"/api/v1/orders/{order['id']}", json={"title": "x"}).status_code == 404
    )


def test_link_and_unlink(
    client: httpx.Client, other_client: httpx.Client, make_directive: MakeDirective
) -> None:
    first = make_directive(title="first")["directive"]["id"]
    second = make_directive(title="second")["directive"]["id"]
    a = client.post("/api/v1/orders", json={"title": "a"}).json()["id"]
    b = client.post("/api/v1/orders", json={"title": "b"}).json()["id"]
    foreign = other_client.post("/api/v1/orders", json={"title": "theirs"}).json()["id"]

    linked = client.post(f"/api/v1/directives/{first}/orders/link", json={"order_ids": [a, b]})
    assert linked.status_code == 200, linked.text
    assert sorted(o["id"] for o in linked.json()) == sorted([a, b])
    assert all(o["directive_id"] == first for o in linked.json())
    # Linking again is harmless; linking to another directive is a conflict.
    again = client.post(f"/api/v1/directives/{first}/orders/link", json={"order_ids": [a]})
    assert again.status_code == 200 and len(again.json()) == 2
    taken = client.post(f"/api/v1/directives/{second}/orders/link", json={"order_ids": [a]})
    assert taken.status_code == 409 and "unlink it there first" in taken.json()["detail"]
    stranger = client.post(
        f"/api/v1/directives/{second}/orders/link", json={"order_ids": [foreign]}
    )
    assert stranger.status_code == 404 and stranger.json()["field"] == "order_ids"
    assert (
        client.post(f"/api/v1/directives/{first}/orders/link", json={"order_ids": []}).status_code
        == 422
    )

    by_directive = client.get("/api/v1/orders", params={"directive_id": first}).json()
    assert len(by_directive) == 2
    events = client.get(
        f"/api/v1/directives/{first}/events", params={"type": "order_linked"}
    ).json()["events"]
    assert len(events) == 1 and sorted(events[0]["data"]["order_ids"]) == sorted([a, b])

    not_there = client.post(f"/api/v1/directives/{second}/orders/unlink", json={"order_ids": [a]})
    assert not_there.status_code == 409
    left = client.post(f"/api/v1/directives/{first}/orders/unlink", json={"order_ids": [a]})
    assert [o["id"] for o in left.json()] == [b]
    assert client.get(f"/api/v1/orders/{a}").json()["directive_id"] is None
    moved = client.post(f"/api/v1/directives/{second}/orders/link", json={"order_ids": [a]})
    assert [o["id"] for o in moved.json()] == [a]


def test_steps_may_reference_owned_orders(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive()["directive"]["id"]
    order = client.post("/api/v1/orders", json={"title": "o"}).json()["id"]
    step = client.post(f"/api/v1/directives/{did}/steps", json={"name": "s", "order_ids": [order]})
    assert step.status_code == 201 and step.json()["order_ids"] == [order]


def _order(client: httpx.Client, title: str, priority: str = "medium") -> str:
    response = client.post("/api/v1/orders", json={"title": title, "priority": priority})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _link(client: httpx.Client, directive_id: str, *order_ids: str) -> httpx.Response:
    return client.post(
        f"/api/v1/directives/{directive_id}/orders/link", json={"order_ids": list(order_ids)}
    )


def _directive(client: httpx.Client, directive_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/api/v1/directives/{directive_id}").json()["directive"]
    return found


def _status_events(client: httpx.Client, directive_id: str) -> list[dict[str, Any]]:
    response = client.get(
        f"/api/v1/directives/{directive_id}/events", params={"type": "order_status"}
    )
    found: list[dict[str, Any]] = response.json()["events"]
    return found


def _move_directive(database_url: str, directive_id: str, *path: DirectiveStatus) -> None:
    """Walk a directive through the transition table, as the phases would."""
    with session_scope(database_url) as session:
        directive = session.get_one(Directive, uuid.UUID(directive_id))
        for target in path:
            assert transition(
                session,
                directive_id=directive.id,
                row_id=directive.id,
                current=directive.status,
                target=target,
                reason="test",
            )
            session.refresh(directive)


def test_linking_to_a_directive_under_way_starts_an_order_pickup(
    client: httpx.Client, make_directive: MakeDirective
) -> None:
    did = make_directive(plan=[{"name": "base"}])["directive"]["id"]
    assert client.post(f"/api/v1/directives/{did}/start").status_code == 200
    assert client.post(f"/api/v1/directives/{did}/pause", json={"reason": "t"}).status_code == 200
    first, second = _order(client, "first"), _order(client, "second")

    assert _link(client, did, first).status_code == 200
    directive = _directive(client, did)
    assert (directive["status"], directive["generation"]) == ("planning", 1)
    assert directive["status_reason"] == "orders linked; re-planning"

    # Already linked: nothing new, no second re-plan.
    assert _link(client, did, first).status_code == 200
    assert _directive(client, did)["generation"] == 1
    # One more order while planning: the superseded planner goes, the generation moves on.
    assert _link(client, did, first, second).status_code == 200
    assert (_directive(client, did)["status"], _directive(client, did)["generation"]) == (
        "planning",
        2,
    )


def test_linking_to_a_draft_just_links(client: httpx.Client, make_directive: MakeDirective) -> None:
    did = make_directive()["directive"]["id"]
    assert _link(client, did, _order(client, "o")).status_code == 200
    directive = _directive(client, did)
    assert (directive["status"], directive["generation"]) == ("draft", 0)


def test_stopped_and_completing_directives_refuse_links_and_goal_edits(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    order = _order(client, "o")
    completing = make_directive(plan=[{"name": "s"}])["directive"]["id"]
    _move_directive(database_url, completing, DirectiveStatus.ACTIVE, DirectiveStatus.COMPLETING)
    refused = _link(client, completing, order)
    assert refused.status_code == 409 and "completing" in refused.json()["detail"]
    edit = client.patch(f"/api/v1/directives/{completing}", json={"goal": "another goal"})
    assert edit.status_code == 409 and "pause it first" in edit.json()["detail"]
    assert _directive(client, completing)["goal"] == "Give the tool a command line."

    stopped = make_directive()["directive"]["id"]
    assert client.post(f"/api/v1/directives/{stopped}/stop").status_code == 200
    assert _link(client, stopped, order).status_code == 409
    assert client.get(f"/api/v1/orders/{order}").json()["directive_id"] is None


def test_orders_follow_their_steps(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    named, later, unnamed = _order(client, "named"), _order(client, "later"), _order(client, "u")
    # A plan given up front may name an order before it is linked: linking moves it.
    did = make_directive(plan=[{"name": "first", "order_ids": [named]}])["directive"]["id"]
    assert _link(client, did, named, later, unnamed).status_code == 200
    statuses = {o["id"]: o["status"] for o in client.get("/api/v1/orders").json()}
    assert statuses == {named: "in_progress", later: "open", unnamed: "open"}

    added = client.post(
        f"/api/v1/directives/{did}/steps", json={"name": "two", "order_ids": [later]}
    )
    assert added.status_code == 201, added.text
    assert client.get(f"/api/v1/orders/{later}").json()["status"] == "in_progress"
    [first_event, second_event] = _status_events(client, did)
    assert first_event["data"] == {
        "order_id": named,
        "from": "open",
        "to": "in_progress",
        "reason": "planned in step(s) 'first'",
        "steps": ["first"],
    }
    assert second_event["message"] == "order 'later' open → in_progress: planned in step(s) 'two'"

    # A re-plan that removes an order's only step puts the order back in the backlog.
    removed = client.post(
        f"/api/v1/directives/{did}/plan", json={"steps": [{"name": "three"}], "remove": ["two"]}
    )
    assert removed.status_code == 201, removed.text
    assert client.get(f"/api/v1/orders/{later}").json()["status"] == "open"
    # Unlinking an order in progress leaves it open in the backlog.
    assert (
        client.post(
            f"/api/v1/directives/{did}/orders/unlink", json={"order_ids": [named]}
        ).status_code
        == 200
    )
    assert client.get(f"/api/v1/orders/{named}").json()["status"] == "open"
    assert [e["data"]["to"] for e in _status_events(client, did)] == [
        "in_progress",
        "in_progress",
        "open",
        "open",
    ]


def test_complete_orders_marks_done_the_orders_whose_steps_all_passed(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    done, half, removed_only, unplanned = (
        _order(client, "done"),
        _order(client, "half"),
        _order(client, "removed"),
        _order(client, "unplanned"),
    )
    detail = make_directive(
        plan=[
            {"name": "a", "order_ids": [done, half]},
            {"name": "b", "order_ids": [done]},
            {"name": "c", "order_ids": [half]},
            {"name": "d", "order_ids": [removed_only]},
        ]
    )
    did = detail["directive"]["id"]
    ids = {s["name"]: s["id"] for s in detail["steps"]}
    assert _link(client, did, done, half, removed_only, unplanned).status_code == 200
    for name in ("a", "b"):
        move_step(database_url, ids[name], S.READY, S.RUNNING, S.EVALUATING, S.PASSED)
    move_step(database_url, ids["c"], S.READY, S.RUNNING, S.FAILED)
    # `d` leaves the plan without its order going back to open (as a patch might).
    move_step(database_url, ids["d"], S.REMOVED)

    with session_scope(database_url) as session:
        directive = session.get_one(Directive, uuid.UUID(did))
        completed = orders_repo.complete_orders(session, directive=directive)
        assert [str(o.id) for o in completed] == [done]
    with session_scope(database_url) as session:
        directive = session.get_one(Directive, uuid.UUID(did))
        assert orders_repo.complete_orders(session, directive=directive) == []

    statuses = {o["id"]: o["status"] for o in client.get("/api/v1/orders").json()}
    assert statuses == {
        done: "done",
        half: "in_progress",
        removed_only: "in_progress",
        unplanned: "open",
    }
    [event] = [e for e in _status_events(client, did) if e["data"]["to"] == "done"]
    assert event["data"]["steps"] == ["a", "b"]
    assert event["actor"] == "system"
