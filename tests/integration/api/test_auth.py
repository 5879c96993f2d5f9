"""Keys over HTTP: missing or bad keys, task-scoped keys, tokens, who-am-I, daemons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from orchestrator.db import session_scope
from orchestrator.repository.fleet import record_announce, record_goodbye
from schemas.messages import DaemonAnnounce, DaemonGoodbye
from tests.integration.api.conftest import MakeDirective


def test_health_needs_no_key(api_url: str) -> None:
    response = httpx.get(f"{api_url}/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_missing_or_invalid_key_is_401_with_challenge(api_url: str, clean_db: object) -> None:
    for headers in ({}, {"Authorization": "Bearer mk_nope"}, {"Authorization": "Basic abc"}):
        response = httpx.get(f"{api_url}/api/v1/directives", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.json()["error"] == "unauthorized"
        assert response.json()["field"] == "Authorization"


def test_me(client: httpx.Client) -> None:
    me = client.get("/api/v1/me").json()
    assert me["owner_name"] == "alice" and me["scope"] == "owner" and me["directive_id"] is None


def test_tokens_create_list_revoke(client: httpx.Client, api_url: str) -> None:
    created = client.post("/api/v1/tokens", json={"name": "ci", "expires_in_seconds": 3600})
    assert created.status_code == 201, created.text
    token = created.json()
    assert token["token"].startswith("mk_") and token["expires_at"] is not None
    listed = client.get("/api/v1/tokens").json()
    assert sorted(t["name"] for t in listed) == ["ci", "test"]
    assert all("token" not in t for t in listed)

    fresh = httpx.get(f"{api_url}/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert fresh.status_code == 200
    revoked = client.delete(f"/api/v1/tokens/{token['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    after = httpx.get(f"{api_url}/api/v1/me", headers={"Authorization": f"Bearer {token['token']}"})
    assert after.status_code == 401
    assert after.json()["detail"] == "invalid or revoked API key"

    assert client.post("/api/v1/tokens", json={"name": " "}).json()["field"] == "name"
    short = client.post("/api/v1/tokens", json={"name": "x", "expires_in_seconds": 5})
    assert short.status_code == 422 and short.json()["field"] == "expires_in_seconds"


def test_another_owners_token_is_404(client: httpx.Client, other_client: httpx.Client) -> None:
    mine = client.post("/api/v1/tokens", json={"name": "mine"}).json()
    assert other_client.delete(f"/api/v1/tokens/{mine['id']}").status_code == 404
    assert "mine" not in [t["name"] for t in other_client.get("/api/v1/tokens").json()]


def test_task_key_reaches_only_its_own_directive(
    client: httpx.Client,
    make_directive: MakeDirective,
    task_client_for: Callable[[str], httpx.Client],
) -> None:
    own = make_directive(title="own")["directive"]["id"]
    other = make_directive(title="other")["directive"]["id"]
    task = task_client_for(own)

    me = task.get("/api/v1/me").json()
    assert me["scope"] == "task" and me["directive_id"] == own
    assert [d["id"] for d in task.get("/api/v1/directives").json()] == [own]
    assert task.get(f"/api/v1/directives/{own}").status_code == 200
    assert task.get(f"/api/v1/directives/{own}/events").status_code == 200
    assert task.get(f"/api/v1/directives/{own}/tasks").status_code == 200
    plan = task.post(f"/api/v1/directives/{own}/plan", json={"steps": [{"name": "a"}]})
    assert plan.status_code == 201, plan.text
    step = task.post(f"/api/v1/directives/{own}/steps", json={"name": "b"}).json()
    assert task.delete(f"/api/v1/directives/{own}/steps/{step['id']}").status_code == 200

    # Another directive of the same owner answers exactly like a stranger's.
    for method, path in (
        ("GET", f"/api/v1/directives/{other}"),
        ("GET", f"/api/v1/directives/{other}/steps"),
        ("POST", f"/api/v1/directives/{other}/steps"),
        ("GET", f"/api/v1/directives/{other}/events"),
    ):
        step_body = {"name": "x"} if method == "POST" else None
        assert task.request(method, path, json=step_body).status_code == 404, path

    # Commands on the directive as a whole, and everything outside it, are forbidden.
    forbidden: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
        ("POST", "/api/v1/directives", {"title": "t", "goal": "g", "repository": "/r"}),
        ("PATCH", f"/api/v1/directives/{own}", {"goal": "mine now"}),
        ("POST", f"/api/v1/directives/{own}/start", None),
        ("POST", f"/api/v1/directives/{own}/stop", None),
        ("DELETE", f"/api/v1/directives/{own}", None),
        ("GET", "/api/v1/tokens", None),
        ("POST", "/api/v1/tokens", {"name": "escalate"}),
        ("GET", "/api/v1/orders", None),
        ("POST", "/api/v1/orders", {"title": "o"}),
        ("GET", "/api/v1/approvals", None),
        ("GET", "/api/v1/daemons", None),
        ("POST", f"/api/v1/directives/{own}/orders/link", {"order_ids": [own]}),
    )
    for method, path, body in forbidden:
        response = task.request(method, path, json=body)
        assert response.status_code == 403, (method, path, response.text)
        assert response.json()["error"] == "forbidden"
    assert client.get(f"/api/v1/directives/{own}").json()["directive"]["status"] == "draft"


def test_daemons_are_visible_to_every_owner(
    client: httpx.Client, other_client: httpx.Client, database_url: str
) -> None:
    now = datetime.now(UTC)
    with session_scope(database_url) as session:
        for name, pool in (("d-2", "default"), ("d-1", "gpu")):
            record_announce(
                session,
                DaemonAnnounce(
                    name=name,
                    host="box",
                    pool=pool,
                    capacity=2,
                    runtimes=("claude", "scripted"),
                    version="0.1.0",
                    at=now,
                ),
            )
        record_goodbye(session, DaemonGoodbye(name="d-1", at=now))
    daemons = client.get("/api/v1/daemons").json()
    assert [(d["name"], d["status"]) for d in daemons] == [("d-2", "online"), ("d-1", "offline")]
    assert daemons[0]["runtimes"] == ["claude", "scripted"] and daemons[0]["capacity"] == 2
    assert other_client.get("/api/v1/daemons").json() == daemons


def test_unknown_route_answers_error_body(client: httpx.Client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "not_found", "detail": "Not Found", "field": None}
