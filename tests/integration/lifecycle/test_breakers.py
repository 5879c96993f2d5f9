"""A cost breaker tripping mid-run: pause, cancel the running session (work pushed), and
refuse to resume until the limit is raised."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.lifecycle.helpers import (
    action,
    create_directive,
    events,
    start,
    tasks,
    wait_status,
    wait_step,
    write,
)
from tests.support.sample_repo import git, make_sample_repo, script


def test_cost_breaker_pauses_cancels_and_resumes_only_with_a_higher_limit(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    plan = [
        {
            "name": "expensive",
            "task_plan": script(write("a.txt", "a\n"), action(sleep=1), action(cost=0.6)),
        },
        {
            "name": "slow",
            "task_plan": script(
                write("partial.txt", "half done\n"),
                action(sleep=60, when_attempt=[1]),
                write("b.txt", "b\n"),
                action(cost=0.1),
            ),
        },
    ]
    directive_id = create_directive(stack, repo, plan, budgets={"max_total_cost_usd": "0.5"})[
        "directive"
    ]["id"]
    start(stack, directive_id)

    paused = wait_status(stack, directive_id, {"paused"}, timeout=60)
    assert "cost" in paused["directive"]["status_reason"]
    [tripped] = [e for e in events(stack, directive_id) if e["type"] == "breaker_tripped"]
    assert tripped["data"]["breaches"] == [{"kind": "cost", "figure": 0.6, "limit": 0.5}]

    # The slow session is cancelled within seconds and its partial work is on its branch.
    slow = wait_step(stack, directive_id, "slow", {"ready"}, timeout=30)
    [cancelled] = [t for t in tasks(stack, directive_id) if t["step_id"] == slow["id"]]
    assert cancelled["status"] == "cancelled"
    assert git(repo, "show", f"{cancelled['branch']}:partial.txt") == "half done"

    refused = stack.post(f"/api/v1/directives/{directive_id}/resume")
    assert refused.status_code == 409
    assert refused.json()["field"] == "budgets.max_total_cost_usd"

    raised = stack.patch(
        f"/api/v1/directives/{directive_id}", json={"budgets": {"max_total_cost_usd": "5"}}
    )
    assert raised.status_code == 200, raised.text
    resumed = stack.post(f"/api/v1/directives/{directive_id}/resume")
    assert resumed.status_code == 200, resumed.text
    final = wait_status(stack, directive_id, {"completing", "completed"}, timeout=60)
    assert {s["status"] for s in final["steps"]} == {"passed"}
    assert float(final["directive"]["total_cost_usd"]) == 0.7
