"""An evaluator agent judges each step: its verdict (submitted with `makima step evaluate`
and its task key) decides; a failing verdict reworks with its instructions."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.integration.lifecycle.helpers import (
    create_directive,
    event_log,
    events,
    start,
    tasks,
    wait_status,
    write,
)
from tests.support.sample_repo import make_sample_repo, script

REJECT = {
    "passed": False,
    "overall_score": 0.2,
    "confidence": 0.9,
    "criteria": [{"criterion": "greets", "passed": False, "evidence": "no greeting"}],
    "summary": "no greeting",
    "rework_instructions": "Write a greeting into HELLO.md.",
}
ACCEPT = {
    "passed": True,
    "overall_score": 0.95,
    "confidence": 0.9,
    "criteria": [{"criterion": "greets", "passed": True, "evidence": "HELLO.md"}],
    "summary": "greets",
    "rework_instructions": None,
}


def _submit(verdict: dict[str, object], attempts: dict[str, object]) -> str:
    return json.dumps(
        {
            "makima": ["step", "evaluate", "--verdict", "-"],
            "stdin": json.dumps(verdict),
            "check": True,
            **attempts,
        }
    )


def test_the_evaluator_verdict_reworks_then_passes_the_step(
    stack: httpx.Client, tmp_path: Path
) -> None:
    repo = make_sample_repo(tmp_path / "repo")
    # The scripted evaluator performs the script it finds in its prompt: the criterion.
    criterion = "The project greets its users.\n" + script(
        _submit(REJECT, {"when_attempt": [1]}), _submit(ACCEPT, {"from_attempt": 2})
    )
    plan = [{"name": "greet", "task_plan": script(write("HELLO.md", "hello\n"))}]
    directive_id = create_directive(
        stack,
        repo,
        plan,
        acceptance_criteria=[criterion],
        evaluation={"evaluator_enabled": True},
    )["directive"]["id"]
    start(stack, directive_id)
    final = wait_status(stack, directive_id, {"completed", "paused"})
    assert final["directive"]["status"] == "completed", event_log(stack, directive_id)
    [step] = final["steps"]
    assert (step["status"], step["rework_count"]) == ("passed", 1)
    kinds = sorted((t["kind"], t["attempt"]) for t in tasks(stack, directive_id))
    assert kinds == [
        ("complete", 1), ("evaluate", 1), ("evaluate", 2), ("execute", 1), ("execute", 2)
    ]
    decisions = [
        e["data"]["decision"] for e in events(stack, directive_id) if e["type"] == "evaluation"
    ]
    assert decisions == ["rework", "pass"]
    evaluations = stack.get(
        f"/api/v1/directives/{directive_id}/steps/{step['id']}/evaluations"
    ).json()
    assert evaluations[0]["feedback"] == "Write a greeting into HELLO.md."
    assert evaluations[1]["verdict"]["summary"] == "greets"
