"""Approvals over HTTP: list, approve (the step passes), deny (rework, or failed when the
rework budget is spent). The awaiting step and its approval are made the way evaluation
makes them: guarded transitions, then an approval row."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from orchestrator.db import session_scope
from orchestrator.models import Approval
from schemas.statuses import StepStatus
from tests.integration.api.conftest import MakeDirective, move_step

S = StepStatus


def awaiting_approval(
    client: httpx.Client, make_directive: MakeDirective, database_url: str, **overrides: Any
) -> tuple[str, str, str]:
    """(directive id, step id, approval id) for a step awaiting a person's answer."""
    detail = make_directive(plan=[{"name": "a"}, {"name": "b", "depends_on": ["a"]}], **overrides)
    did, step_id = detail["directive"]["id"], detail["steps"][0]["id"]
    assert client.post(f"/api/v1/directives/{did}/start").status_code == 200
    move_step(database_url, step_id, S.READY, S.RUNNING, S.EVALUATING, S.AWAITING_APPROVAL)
    with session_scope(database_url) as session:
        approval = Approval(
            directive_id=uuid.UUID(did), step_id=uuid.UUID(step_id), question="yellow: ship it?"
        )
        session.add(approval)
        session.flush()
        approval_id = str(approval.id)
    return did, step_id, approval_id


def step_of(client: httpx.Client, did: str, step_id: str) -> dict[str, Any]:
    steps = client.get(f"/api/v1/directives/{did}/steps").json()
    return next(s for s in steps if s["id"] == step_id)


def test_list_and_approve(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    did, step_id, approval_id = awaiting_approval(client, make_directive, database_url)
    pending = client.get("/api/v1/approvals", params={"status": "pending"}).json()
    assert [(a["id"], a["question"]) for a in pending] == [(approval_id, "yellow: ship it?")]
    assert client.get("/api/v1/approvals", params={"directive_id": str(uuid.uuid4())}).json() == []

    response = client.post(f"/api/v1/approvals/{approval_id}/approve", json={"comment": "fine"})
    assert response.status_code == 200, response.text
    decided = response.json()
    assert decided["status"] == "approved" and decided["comment"] == "fine"
    assert decided["decided_by"].startswith("owner:") and decided["decided_at"] is not None
    assert step_of(client, did, step_id)["status"] == "passed"
    assert client.get("/api/v1/approvals", params={"status": "pending"}).json() == []

    again = client.post(f"/api/v1/approvals/{approval_id}/deny", json={"comment": "too late"})
    assert again.status_code == 409
    assert again.json()["detail"] == "approval already approved"
    events = client.get(
        f"/api/v1/directives/{did}/events", params={"type": "approval_decided"}
    ).json()["events"]
    assert len(events) == 1 and events[0]["data"]["approved"] is True


def test_approve_without_body(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    did, step_id, approval_id = awaiting_approval(client, make_directive, database_url)
    response = client.post(f"/api/v1/approvals/{approval_id}/approve")
    assert response.status_code == 200 and response.json()["comment"] is None
    assert step_of(client, did, step_id)["status"] == "passed"


def test_deny_reworks_with_the_comment(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    did, step_id, approval_id = awaiting_approval(client, make_directive, database_url)
    no_comment = client.post(f"/api/v1/approvals/{approval_id}/deny", json={})
    assert no_comment.status_code == 422 and no_comment.json()["field"] == "comment"
    blank = client.post(f"/api/v1/approvals/{approval_id}/deny", json={"comment": "  "})
    assert blank.status_code == 422 and blank.json()["field"] == "comment"

    response = client.post(
        f"/api/v1/approvals/{approval_id}/deny", json={"comment": "handle empty input"}
    )
    assert response.status_code == 200 and response.json()["status"] == "denied"
    step = step_of(client, did, step_id)
    assert step["status"] == "pending" and step["rework_count"] == 1
    assert "handle empty input" in step["feedback"]


def test_deny_fails_the_step_when_the_rework_budget_is_spent(
    client: httpx.Client, make_directive: MakeDirective, database_url: str
) -> None:
    did, step_id, approval_id = awaiting_approval(
        client, make_directive, database_url, budgets={"max_rework_cycles": 0}
    )
    response = client.post(f"/api/v1/approvals/{approval_id}/deny", json={"comment": "no"})
    assert response.status_code == 200
    assert step_of(client, did, step_id)["status"] == "failed"


def test_another_owners_approval_is_404(
    client: httpx.Client,
    other_client: httpx.Client,
    make_directive: MakeDirective,
    database_url: str,
) -> None:
    did, step_id, approval_id = awaiting_approval(client, make_directive, database_url)
    assert other_client.get("/api/v1/approvals").json() == []
    for verb, body in (("approve", {}), ("deny", {"comment": "mine"})):
        response = other_client.post(f"/api/v1/approvals/{approval_id}/{verb}", json=body)
        assert response.status_code == 404 and response.json()["field"] == "approval_id"
    assert step_of(client, did, step_id)["status"] == "awaiting_approval"
