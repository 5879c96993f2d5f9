"""Rework after red tests, and the approval paths for yellow results, on the real stack."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from orchestrator.models import Task
from tests.integration.lifecycle.helpers import (
    action,
    create_directive,
    detail,
    events,
    start,
    tasks,
    wait_status,
    wait_step,
    write,
)
from tests.support.sample_repo import make_sample_repo, script

BROKEN = "def neg(a: int) -> int:\n    return a\n"
FIXED = "def neg(a: int) -> int:\n    return -a\n"
TEST = "from calc.neg import neg\n\n\ndef test_neg() -> None:\n    assert neg(2) == -2\n"


def test_a_step_that_fails_its_tests_is_reworked_with_feedback_and_passes(
    stack: httpx.Client, clean_db: Engine, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [
        {
            "name": "negation",
            "task_plan": script(
                write("tests/test_neg.py", TEST),
                write("calc/neg.py", BROKEN, when_attempt=[1]),
                write("calc/neg.py", FIXED, from_attempt=2),
            ),
        }
    ]
    directive_id = create_directive(stack, repo, plan)["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completing", "completed", "paused", "failed"})
    [step] = final["steps"]
    assert (step["status"], step["rework_count"], step["attempts"]) == ("passed", 1, 2)

    [first, second] = sorted(
        (t for t in tasks(stack, directive_id) if t["kind"] == "execute"),
        key=lambda t: t["attempt"],
    )
    assert [v["exit_code"] != 0 for v in first["result"]["verifier_results"]] == [True]
    evaluations = [e for e in events(stack, directive_id) if e["type"] == "evaluation"]
    assert [e["data"]["decision"] for e in evaluations] == ["rework", "pass"]
    # The rework's prompt opens with the previous evaluation's feedback (the failing test).
    with Session(clean_db) as session:
        prompt = session.get(Task, uuid.UUID(second["id"]))
        assert prompt is not None
        assert prompt.prompt.startswith("## REWORK (attempt 2)")
        assert "test_neg" in prompt.prompt.split("# Step:")[0]
    response = stack.get(f"/api/v1/directives/{directive_id}/steps")
    assert response.json()[0]["feedback"] is None  # cleared once it passed


def _unchecked_plan() -> list[dict[str, object]]:
    # No tests and no verifier commands: nothing checks the result, so it is yellow.
    return [{"name": "docs", "task_plan": script(write("NOTES.md", "notes\n"), action(cost=0.01))}]


def _approval_for(client: httpx.Client, directive_id: str) -> dict[str, object]:
    response = client.get(
        "/api/v1/approvals", params={"directive_id": directive_id, "status": "pending"}
    )
    assert response.status_code == 200, response.text
    [approval] = response.json()
    return dict(approval)


def test_a_yellow_result_waits_for_approval_and_approve_passes_it(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    directive_id = create_directive(
        stack,
        repo,
        _unchecked_plan(),
        autonomy="guided",
        evaluation={"auto_verifiers": False},
    )["directive"]["id"]
    start(stack, directive_id)
    wait_step(stack, directive_id, "docs", {"awaiting_approval"})
    approval = _approval_for(stack, directive_id)
    response = stack.post(f"/api/v1/approvals/{approval['id']}/approve", json={"comment": "fine"})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "approved"
    final = wait_status(stack, directive_id, {"completing", "completed"})
    assert final["steps"][0]["status"] == "passed"
    decided = [e for e in events(stack, directive_id) if e["type"] == "approval_decided"]
    assert decided[0]["data"]["approved"] is True


def test_deny_reworks_with_the_comment_then_fails_when_the_budget_is_spent(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    directive_id = create_directive(
        stack,
        repo,
        _unchecked_plan(),
        autonomy="guided",
        evaluation={"auto_verifiers": False},
        budgets={"max_rework_cycles": 1},
    )["directive"]["id"]
    start(stack, directive_id)
    wait_step(stack, directive_id, "docs", {"awaiting_approval"})
    first = _approval_for(stack, directive_id)
    response = stack.post(f"/api/v1/approvals/{first['id']}/deny", json={"comment": "say more"})
    assert response.status_code == 200, response.text

    # The rework runs with the comment at the top of its prompt and asks again.
    step = wait_step(stack, directive_id, "docs", {"awaiting_approval"})
    assert step["rework_count"] == 1
    execute = [t for t in tasks(stack, directive_id) if t["kind"] == "execute"]
    assert len(execute) == 2
    second = _approval_for(stack, directive_id)
    assert second["id"] != first["id"]
    response = stack.post(f"/api/v1/approvals/{second['id']}/deny", json={"comment": "still no"})
    assert response.status_code == 200, response.text
    step = wait_step(stack, directive_id, "docs", {"failed"})
    assert step["feedback"].endswith("still no")
    # Deciding an approval twice is refused.
    again = stack.post(f"/api/v1/approvals/{second['id']}/approve", json={})
    assert again.status_code == 409
    final = wait_status(stack, directive_id, {"paused"})
    assert "blocked" in final["directive"]["status_reason"]
    assert detail(stack, directive_id)["steps"][0]["status"] == "failed"
