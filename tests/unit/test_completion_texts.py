"""orchestrator.completion_texts: the resolve prompt, the PR body, the merge gate summary."""

from __future__ import annotations

from orchestrator.completion_texts import (
    MAX_BODY_CHARS,
    MergedStep,
    gate_failure_detail,
    gate_summary,
    pull_request_body,
    resolve_conflicts_prompt,
)
from schemas.messages import MergeConflict, VerifierResult
from tests.unit.cli.builders import directive

GREEN = VerifierResult(name="pytest", command=("python", "-m", "pytest"), exit_code=0,
                       duration_seconds=1.25, output_tail="3 passed")
RED = VerifierResult(name="ruff", command=("ruff", "check", "."), exit_code=1,
                     duration_seconds=0.5, output_tail="x.py:1:1: F401 unused import")
SLOW = VerifierResult(name="mypy", command=("mypy", "."), exit_code=None,
                      duration_seconds=600.0, output_tail="", timed_out=True)


def step(name: str, description: str = "does things") -> MergedStep:
    return MergedStep(name=name, description=description, branch=f"makima/{name}-0000",
                      evaluation="green 0.95 (pass): all checks passed")


def test_gate_summary_lists_every_verifier_with_its_outcome() -> None:
    assert gate_summary([GREEN, RED, SLOW]).splitlines() == [
        "passed: pytest (`python -m pytest`, exit 0, 1.2s)",
        "FAILED: ruff (`ruff check .`, exit 1, 0.5s)",
        "FAILED: mypy (`mypy .`, timed out, 600.0s)",
    ]
    assert gate_summary([]) == "no verifiers ran (none detected or configured)"


def test_gate_failure_detail_shows_only_the_failures_with_their_output() -> None:
    detail = gate_failure_detail([GREEN, RED])
    assert "ruff (`ruff check .`) failed:\nx.py:1:1: F401 unused import" in detail
    assert "pytest" not in detail


def test_resolve_prompt_names_files_and_describes_both_sides_without_their_scripts() -> None:
    conflict = MergeConflict(base_ref="makima/directive-x-1", merging_ref="makima/right-0000",
                             files=("calc/version.py", "README.md"))
    prompt = resolve_conflicts_prompt(
        directive(goal="Pick one version."),
        conflict,
        merged=[step("left", "the left version")],
        merging=step("right", "the right version"),
    )
    assert prompt.index("Pick one version.") < prompt.index("resolve a merge conflict")
    assert "- `calc/version.py`\n- `README.md`" in prompt
    assert "- left: the left version" in prompt
    assert "`makima/right-0000`\n- right: the right version" in prompt
    assert "conflict marker" in prompt


def test_pull_request_body_has_goal_steps_evaluations_gate_and_orders() -> None:
    body = pull_request_body(
        directive(goal="Grow the calculator.", acceptance_criteria=["tests pass"]),
        steps=[step("sub"), step("mul")],
        gate=[GREEN],
        orders=["[high] feature: subtraction"],
    )
    assert "## Goal\n\nGrow the calculator." in body
    assert "- tests pass" in body
    assert "## Steps (2, merged in dependency order)" in body
    assert "**sub** (`makima/sub-0000`)" in body and "green 0.95" in body
    assert "passed: pytest" in body
    assert "- [high] feature: subtraction" in body


def test_pull_request_body_is_bounded() -> None:
    body = pull_request_body(directive(goal="g" * 100_000), steps=[], gate=[])
    assert len(body) <= MAX_BODY_CHARS
    assert body.endswith("… (truncated)\n")
