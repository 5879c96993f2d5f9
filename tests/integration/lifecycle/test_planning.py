"""Planning on the real stack: a planning agent (scripted) submits the plan through the
makima CLI with its task-scoped key; a planner that ends without a plan is retried with the
reason, and after max_chain_regenerations the directive pauses saying why."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.lifecycle.helpers import event_log, events, start, tasks, wait_status
from tests.support.sample_repo import make_sample_repo, script

PLAN = {
    "steps": [
        {"name": "first", "task_plan": script('{"write": {"path": "one.txt", "content": "1\\n"}}')},
        {
            "name": "second",
            "depends_on": ["first"],
            "task_plan": script('{"write": {"path": "two.txt", "content": "2\\n"}}'),
        },
    ]
}


def _directive(client: httpx.Client, repo: Path, goal_script: str, **extra: object) -> str:
    body = {
        "title": "Planned by an agent",
        # The scripted planner performs the script in its prompt, which carries the goal.
        "goal": "Write two files.\n\n" + goal_script,
        "repository": str(repo),
        "autonomy": "full_auto",
        "agent": {"runtime": "scripted", "session_timeout_seconds": 120},
        **extra,
    }
    response = client.post("/api/v1/directives", json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["directive"]["id"])


def test_a_planning_agent_submits_the_plan_with_the_cli_and_the_directive_runs(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    submit = json.dumps(
        {"makima": ["directive", "submit-plan"], "stdin": json.dumps(PLAN), "check": True}
    )
    directive_id = _directive(stack, repo, script(submit, '{"say": "planned"}'))
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completing", "completed", "paused"})
    assert final["directive"]["status"] in {"completing", "completed"}, event_log(
        stack, directive_id
    )
    assert [s["name"] for s in final["steps"]] == ["first", "second"]
    assert {s["status"] for s in final["steps"]} == {"passed"}
    [planner] = [t for t in tasks(stack, directive_id) if t["kind"] == "plan"]
    submitted = [e for e in events(stack, directive_id) if e["type"] == "plan_submitted"]
    assert submitted and submitted[0]["actor"] == f"task:{planner['id']}"


def test_a_planner_without_a_plan_is_retried_then_the_directive_pauses(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    directive_id = _directive(
        stack,
        repo,
        script('{"say": "I forgot to submit"}'),
        budgets={"max_chain_regenerations": 1},
    )
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"paused", "active"})
    assert final["directive"]["status"] == "paused"
    assert "planning failed 2 times" in final["directive"]["status_reason"]
    planners = [t for t in tasks(stack, directive_id) if t["kind"] == "plan"]
    assert sorted(t["attempt"] for t in planners) == [1, 2]
    [failed] = [e for e in events(stack, directive_id) if e["type"] == "planning_failed"]
    assert "without submitting a valid plan" in failed["message"]
