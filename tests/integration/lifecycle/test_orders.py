"""Order pickup on the real stack: orders linked to an active directive re-plan it; the
scripted planner, whose prompt lists the orders highest priority first, picks some of them;
those go in_progress with their steps and done when the directive completes, the others
stay open in the backlog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.integration.lifecycle.helpers import (
    create_directive,
    event_log,
    events,
    start,
    wait_status,
    wait_step,
    write,
)
from tests.integration.lifecycle.test_replanning import (
    hold_until,
    plan_tasks,
    submit_plan,
    task_prompt,
)
from tests.support.sample_repo import make_sample_repo, script


def _order(client: httpx.Client, title: str, priority: str, type_: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/orders",
        json={"title": title, "priority": priority, "type": type_, "description": title + "."},
    )
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


def _statuses(client: httpx.Client) -> dict[str, str]:
    return {o["title"]: o["status"] for o in client.get("/api/v1/orders").json()}


def test_an_order_pickup_plans_some_orders_and_completes_them(
    stack: httpx.Client, tmp_path: Path, database_url: str
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    low = _order(stack, "Tidy the README", "low", "docs")
    high = _order(stack, "Add power", "high", "feature")
    medium = _order(stack, "Add modulo", "medium", "feature")
    critical = _order(stack, "Fix the crash", "critical", "bug")

    # The scripted planner performs the first script of its prompt: the goal's. It picks
    # the two highest priorities and leaves the rest for later.
    pickup = {
        "steps": [
            {
                "name": "fix-crash",
                "task_plan": script(write("crash.txt", "fixed\n")),
                "order_ids": [critical["id"]],
            },
            {
                "name": "power",
                "depends_on": ["base"],
                "task_plan": script(write("power.txt", "power\n")),
                "order_ids": [high["id"]],
            },
        ]
    }
    release = tmp_path / "release-base"
    plan = [{"name": "base", "task_plan": script(hold_until(release), write("base.txt", "b\n"))}]
    goal = "Work through the backlog.\n\n" + script(submit_plan(pickup), '{"say": "picked"}')
    directive_id = create_directive(stack, repo, plan, goal=goal)["directive"]["id"]
    start(stack, directive_id)
    wait_step(stack, directive_id, "base", {"running"})

    ids = [low["id"], high["id"], medium["id"], critical["id"]]
    linked = stack.post(f"/api/v1/directives/{directive_id}/orders/link", json={"order_ids": ids})
    assert linked.status_code == 200, linked.text
    assert {o["status"] for o in linked.json()} == {"open"}

    wait_step(stack, directive_id, "power", {"pending", "ready", "running", "evaluating", "passed"})
    assert _statuses(stack) == {
        "Fix the crash": "in_progress",
        "Add power": "in_progress",
        "Add modulo": "open",
        "Tidy the README": "open",
    }
    [planner] = plan_tasks(stack, directive_id)
    assert planner["generation"] == 1
    prompt = task_prompt(database_url, planner["id"])
    assert "being re-planned because orders were linked to it (an order pickup)" in prompt
    assert "How the goal changed" not in prompt
    listed = [
        prompt.index(f"- [critical] bug: Fix the crash (id {critical['id']}; open)"),
        prompt.index(f"- [high] feature: Add power (id {high['id']}; open)"),
        prompt.index(f"- [medium] feature: Add modulo (id {medium['id']}; open)"),
        prompt.index(f"- [low] docs: Tidy the README (id {low['id']}; open)"),
    ]
    assert listed == sorted(listed)
    assert prompt.index("### running: stay") < prompt.index("- base (id")
    assert "Pick an adequate number of these orders" in prompt

    release.touch()
    final = wait_status(stack, directive_id, {"completed", "paused", "failed"})
    assert final["directive"]["status"] == "completed", event_log(stack, directive_id)
    assert {s["name"]: (s["status"], s["generation"]) for s in final["steps"]} == {
        "base": ("passed", 0),
        "fix-crash": ("passed", 1),
        "power": ("passed", 1),
    }
    # The completion phase calls complete_orders once the directive is completed.
    assert _statuses(stack) == {
        "Fix the crash": "done",
        "Add power": "done",
        "Add modulo": "open",
        "Tidy the README": "open",
    }
    changes = [
        (e["data"]["order_id"], e["data"]["to"])
        for e in events(stack, directive_id)
        if e["type"] == "order_status"
    ]
    assert sorted(changes) == sorted(
        [
            (critical["id"], "in_progress"),
            (high["id"], "in_progress"),
            (critical["id"], "done"),
            (high["id"], "done"),
        ]
    )
