"""Orders over HTTP: create, list, show, edit, link to and unlink from directives."""

from __future__ import annotations

import httpx

from tests.integration.api.conftest import MakeDirective


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
