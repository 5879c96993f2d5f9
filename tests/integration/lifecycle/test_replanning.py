"""Re-planning on the real stack: a goal edit while a step runs gives the directive a new
generation whose scripted planner removes a pending step, keeps the passed one and adds
steps that build on it; two quick edits leave exactly one live planning task.

Steps and planners are held by a gate (a command waiting for a file the test creates), so
what is running, pending or passed when the goal changes never depends on timing.
"""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx

from orchestrator.db import session_scope
from orchestrator.models import Task
from tests.integration.conftest import wait_for
from tests.integration.lifecycle.helpers import (
    action,
    create_directive,
    detail,
    event_log,
    start,
    tasks,
    wait_status,
    wait_step,
    write,
)
from tests.support.sample_repo import make_sample_repo, script

_HOLD = """\
import pathlib, sys, time
gate = pathlib.Path(sys.argv[1])
deadline = time.monotonic() + 240
while not gate.exists() and time.monotonic() < deadline:
    time.sleep(0.05)
sys.exit(0 if gate.exists() else 1)
"""


def hold_until(gate: Path) -> str:
    """A script action that waits until `gate` exists (a cancel kills it meanwhile)."""
    return action(run=[sys.executable, "-c", _HOLD, str(gate)], check=True)


def submit_plan(plan: dict[str, Any]) -> str:
    """A script action: the planner submits `plan` with the makima CLI and its task key."""
    return action(makima=["directive", "submit-plan"], stdin=json.dumps(plan), check=True)


def task_prompt(database_url: str, task_id: str) -> str:
    """What the agent was told (the prompt is kept with the task)."""
    with session_scope(database_url) as session:
        return session.get_one(Task, uuid.UUID(task_id)).prompt


def all_steps(client: httpx.Client, directive_id: str) -> dict[str, dict[str, Any]]:
    response = client.get(
        f"/api/v1/directives/{directive_id}/steps", params={"include_removed": True}
    )
    assert response.status_code == 200, response.text
    return {s["name"]: s for s in response.json()}


def plan_tasks(client: httpx.Client, directive_id: str) -> list[dict[str, Any]]:
    return [t for t in tasks(client, directive_id) if t["kind"] == "plan"]


def test_a_goal_edit_mid_run_removes_a_pending_step_and_adds_a_generation(
    stack: httpx.Client, tmp_path: Path, database_url: str
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    release_b = tmp_path / "release-b"
    plan = [
        {"name": "a", "description": "writes a", "task_plan": script(write("a.txt", "a\n"))},
        {
            "name": "b",
            "description": "writes b, held",
            "depends_on": ["a"],
            "task_plan": script(hold_until(release_b), write("b.txt", "b\n")),
        },
        {
            "name": "c",
            "description": "writes c",
            "depends_on": ["b"],
            "task_plan": script(write("c.txt", "c\n")),
        },
    ]
    created = create_directive(stack, repo, plan, goal="Write a, b and c.")
    directive_id = created["directive"]["id"]
    start(stack, directive_id)
    wait_step(stack, directive_id, "b", {"running"})
    passed_a = wait_step(stack, directive_id, "a", {"passed"})

    new_plan = {
        "steps": [
            {
                "name": "d",
                "description": "writes d on top of a",
                "depends_on": ["a"],
                "task_plan": script(write("d.txt", "d\n")),
            },
            {
                "name": "e",
                "description": "writes e on top of d",
                "depends_on": ["d"],
                "task_plan": script(write("e.txt", "e\n")),
            },
        ],
        "remove": ["c"],
    }
    new_goal = "Write a, b, d and e; c is no longer wanted.\n\n" + script(
        submit_plan(new_plan), '{"say": "re-planned"}'
    )
    edited = stack.patch(f"/api/v1/directives/{directive_id}", json={"goal": new_goal})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["directive"]["status"], edited.json()["directive"]["generation"]) == (
        "planning",
        1,
    )
    [previous] = edited.json()["goal_history"]
    assert (previous["goal"], previous["generation"]) == ("Write a, b and c.", 0)
    assert previous["replaced_at"]

    # The re-plan is in before b may finish: c is still pending when it is removed.
    wait_step(stack, directive_id, "e", {"pending", "ready", "running", "evaluating", "passed"})
    assert all_steps(stack, directive_id)["c"]["status"] == "removed"
    assert all_steps(stack, directive_id)["b"]["status"] == "running"
    release_b.touch()

    final = wait_status(stack, directive_id, {"completing", "completed", "paused", "failed"})
    assert final["directive"]["status"] in {"completing", "completed"}, event_log(
        stack, directive_id
    )
    steps = all_steps(stack, directive_id)
    assert {name: (s["status"], s["generation"]) for name, s in steps.items()} == {
        "a": ("passed", 0),
        "b": ("passed", 0),
        "c": ("removed", 0),
        "d": ("passed", 1),
        "e": ("passed", 1),
    }
    # The passed step was kept as it was; the new step started from its branch.
    assert (steps["a"]["commit"], steps["a"]["branch"]) == (passed_a["commit"], passed_a["branch"])
    [d_task] = [t for t in tasks(stack, directive_id) if t["step_id"] == steps["d"]["id"]]
    assert d_task["base_ref"] == passed_a["branch"]
    assert [g["goal"] for g in final["goal_history"]] == ["Write a, b and c."]

    [planner] = plan_tasks(stack, directive_id)
    assert (planner["generation"], planner["status"]) == (1, "done")
    prompt = task_prompt(database_url, planner["id"])
    assert "being re-planned because its goal changed" in prompt
    assert "### Current version\nWrite a, b, d and e" in prompt
    assert "(generation 0)\n> Write a, b and c." in prompt
    passed_group = prompt.index("### passed: stay")
    assert (
        prompt.index("### running: stay")
        < passed_group
        < prompt.index(f"- a (id {steps['a']['id']}, generation 0): writes a")
    )
    pending_group = prompt.index("### pending: may be removed")
    assert pending_group < prompt.index(f"- c (id {steps['c']['id']}, generation 0): writes c")


def test_two_quick_goal_edits_leave_one_live_planning_task(
    stack: httpx.Client, tmp_path: Path, database_url: str
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    release_a, release_planner = tmp_path / "release-a", tmp_path / "release-planner"
    plan = [{"name": "a", "task_plan": script(hold_until(release_a), write("a.txt", "a\n"))}]
    directive_id = create_directive(stack, repo, plan, goal="Write a.")["directive"]["id"]
    start(stack, directive_id)
    wait_step(stack, directive_id, "a", {"running"})

    def live_planners() -> list[dict[str, Any]]:
        found = plan_tasks(stack, directive_id)
        live = [t for t in found if t["status"] in {"pending", "queued", "running"}]
        assert len(live) <= 1, found
        return live

    # First edit: its planner starts and waits for a gate that never opens.
    first_goal = "Write a, then something.\n\n" + script(hold_until(tmp_path / "never"))
    assert stack.patch(f"/api/v1/directives/{directive_id}", json={"goal": first_goal}).is_success
    wait_for(lambda: [t for t in live_planners() if t["status"] == "running"], timeout=60)
    [first] = plan_tasks(stack, directive_id)
    assert first["generation"] == 1

    # Second edit: the first planner is superseded and cancelled; one planner remains.
    second_plan = {
        "steps": [{"name": "b", "depends_on": ["a"], "task_plan": script(write("b.txt", "b\n"))}]
    }
    second_goal = "Write a, then b.\n\n" + script(
        hold_until(release_planner), submit_plan(second_plan)
    )
    edited = stack.patch(f"/api/v1/directives/{directive_id}", json={"goal": second_goal})
    assert edited.status_code == 200, edited.text
    assert edited.json()["directive"]["generation"] == 2

    def second_running() -> list[dict[str, Any]]:
        return [t for t in live_planners() if t["generation"] == 2 and t["status"] == "running"]

    wait_for(second_running, timeout=60)
    by_id = {t["id"]: t for t in plan_tasks(stack, directive_id)}
    assert len(by_id) == 2
    assert (by_id[first["id"]]["status"], by_id[first["id"]]["error_kind"]) == (
        "cancelled",
        "cancelled",
    )
    assert [t["generation"] for t in live_planners()] == [2]

    release_planner.touch()
    wait_step(stack, directive_id, "b", {"pending", "ready", "running", "evaluating", "passed"})
    release_a.touch()
    final = wait_status(stack, directive_id, {"completing", "completed", "paused", "failed"})
    assert final["directive"]["status"] in {"completing", "completed"}, event_log(
        stack, directive_id
    )
    assert {s["name"]: s["status"] for s in final["steps"]} == {"a": "passed", "b": "passed"}
    assert [(g["goal"], g["generation"]) for g in final["goal_history"]] == [
        ("Write a.", 0),
        (first_goal.strip(), 1),
    ]
    statuses = sorted((t["generation"], t["status"]) for t in plan_tasks(stack, directive_id))
    assert statuses == [(1, "cancelled"), (2, "done")]
    prompt = task_prompt(
        database_url, next(t["id"] for t in plan_tasks(stack, directive_id) if t["generation"] == 2)
    )
    assert (
        prompt.index("### Current version\nWrite a, then b.")
        < prompt.index("(generation 1)\n> Write a, then something.")
        < prompt.index("(generation 0)\n> Write a.")
    )
    assert detail(stack, directive_id)["directive"]["generation"] == 2
