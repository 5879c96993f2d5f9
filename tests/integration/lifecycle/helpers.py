"""Shared steps of the lifecycle tests: create a directive through the API, wait, inspect."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.integration.conftest import wait_for


def write(path: str, content: str, **filters: Any) -> str:
    return json.dumps({"write": {"path": path, "content": content}, **filters})


def action(**fields: Any) -> str:
    return json.dumps(fields)


def create_directive(
    client: httpx.Client, repo: Path, plan: list[dict[str, Any]], **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Grow the calculator",
        "goal": "Add operations to calc, each with tests.",
        "repository": str(repo),
        "autonomy": "full_auto",
        "agent": {"runtime": "scripted", "session_timeout_seconds": 120},
        "plan": plan,
    }
    body.update(overrides)
    response = client.post("/api/v1/directives", json=body)
    assert response.status_code == 201, response.text
    detail: dict[str, Any] = response.json()
    return detail


def start(client: httpx.Client, directive_id: str) -> None:
    response = client.post(f"/api/v1/directives/{directive_id}/start")
    assert response.status_code == 200, response.text


def detail(client: httpx.Client, directive_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/directives/{directive_id}")
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def wait_logged(
    client: httpx.Client,
    directive_id: str,
    reached: Callable[[], dict[str, Any] | None],
    what: str,
    timeout: float = 120,
    interval: float = 0.2,
) -> dict[str, Any]:
    """Poll `reached` until it answers; else fail showing the directive's event log."""
    try:
        found = wait_for(reached, timeout=timeout, interval=interval)
    except AssertionError:
        raise AssertionError(
            f"{what} within {timeout}s; events:\n" + event_log(client, directive_id)
        ) from None
    assert isinstance(found, dict)
    return found


def wait_status(
    client: httpx.Client, directive_id: str, statuses: set[str], timeout: float = 120
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        current = detail(client, directive_id)
        return current if current["directive"]["status"] in statuses else None

    return wait_logged(
        client, directive_id, reached, f"directive never reached {statuses}", timeout
    )


def wait_step(
    client: httpx.Client, directive_id: str, name: str, statuses: set[str], timeout: float = 120
) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        for step in detail(client, directive_id)["steps"]:
            if step["name"] == name and step["status"] in statuses:
                return dict(step)
        return None

    return wait_logged(
        client, directive_id, reached, f"step {name} never reached {statuses}", timeout
    )


def events(client: httpx.Client, directive_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/directives/{directive_id}/events", params={"limit": 1000})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["events"]
    return found


def event_log(client: httpx.Client, directive_id: str) -> str:
    return "\n".join(
        f"{e['id']:>4} {e['type']:<20} {e['message']}" for e in events(client, directive_id)
    )


def tasks(client: httpx.Client, directive_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/api/v1/directives/{directive_id}/tasks")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def pull_request(client: httpx.Client, directive_id: str) -> dict[str, Any] | None:
    """The directive's PR record, or None while it has none (404)."""
    response = client.get(f"/api/v1/directives/{directive_id}/pull-request")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def wait_pr_updates(
    client: httpx.Client, directive_id: str, updates: int, timeout: float = 120
) -> dict[str, Any]:
    """Wait until the directive's PR record has been updated `updates` times."""

    def reached() -> dict[str, Any] | None:
        current = pull_request(client, directive_id)
        return current if current and current["updates"] == updates else None

    return wait_logged(
        client, directive_id, reached, f"the PR never reached {updates} update(s)", timeout, 0.3
    )
