"""Prompt building, as pure functions of plain values (the public views of the rows).

Every prompt an agent gets is built here, so what an agent was told can be reproduced from
the database and tested without one.
"""

from __future__ import annotations

from collections.abc import Sequence

from schemas.directives import DirectivePublic
from schemas.steps import StepPublic


def _bullets(items: Sequence[str], empty: str = "(none)") -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def _quoted(text: str) -> str:
    """Quote text as a block, so instructions meant for another agent are not followed."""
    return "\n".join(f"> {line}" for line in text.splitlines())


def directive_brief(directive: DirectivePublic) -> str:
    return (
        f"# Directive: {directive.title}\n\n"
        f"## Goal\n{directive.goal}\n\n"
        f"## Requirements\n{_bullets(directive.requirements)}\n\n"
        f"## Acceptance criteria\n{_bullets(directive.acceptance_criteria)}\n\n"
        f"## Constraints\n{_bullets(directive.constraints)}\n\n"
        f"Repository: {directive.repository} (base branch `{directive.base_branch}`)\n"
    )


PLAN_HOWTO = """\
## How to submit the plan
Explore the repository, then submit the whole plan with one command (JSON on stdin):

    makima directive submit-plan <<'JSON'
    {"steps": [
      {"name": "short-unique-name", "description": "what and why",
       "task_plan": "complete, self-contained instructions for the agent doing this step",
       "depends_on": ["names of steps this one builds on"], "order_index": 0}
    ]}
    JSON

The command answers with an error naming the step and the reason when the plan is invalid
(unknown dependency, cycle, duplicate name, empty plan, sizes); fix it and submit again.

What the fields mean:
- Each step runs as a separate agent session in its own git worktree. Its `task_plan` is
  all that agent sees besides the repository: make it self-contained (files, functions,
  tests to write or run, how to know it is done).
- `depends_on`: the step starts from its first dependency's branch, with the branches of its
  other dependencies merged in, so it sees their work. Steps without dependencies start
  from the base branch and may run in parallel.
- `order_index`: within this plan, a step waits until every step with a lower order_index
  has finished. Leave it 0 unless order matters beyond dependencies.
- Keep steps small enough to finish and be tested on their own; every step must leave the
  repository's tests passing.
"""


def planning_prompt(
    directive: DirectivePublic, *, attempt: int, previous_failure: str | None
) -> str:
    parts = [
        "You are the planning agent for a makima directive. Do not change any files: "
        "your only output is a plan submitted with the makima CLI.",
        directive_brief(directive),
        PLAN_HOWTO,
    ]
    if previous_failure:
        parts.insert(
            1,
            f"## Your previous planning attempt (#{attempt - 1}) ended without a valid plan\n"
            f"{previous_failure}\nSubmit a valid plan this time.\n",
        )
    return "\n".join(parts)


def execute_prompt(
    directive: DirectivePublic,
    step: StepPublic,
    *,
    dependencies: Sequence[StepPublic],
    rework_feedback: str | None,
) -> str:
    """The prompt of a step's session; a rework's feedback comes first, where it is seen."""
    parts: list[str] = []
    if rework_feedback:
        parts.append(
            f"## REWORK (attempt {step.rework_count + 1}): the previous result was rejected\n"
            f"{rework_feedback}\n\nFix this first; the rest of the task is below.\n"
        )
    parts.append(f"# Step: {step.name}\n\n{step.description}\n")
    parts.append(f"## Task plan\n{step.task_plan}\n")
    if dependencies:
        deps = "\n".join(f"- {d.name}: {d.description}" for d in dependencies)
        parts.append("## Work already done (merged into your worktree)\n" + deps + "\n")
    parts.append(
        "## Context\n"
        f"This step is part of the directive '{directive.title}':\n{directive.goal}\n\n"
        f"Acceptance criteria of the directive:\n{_bullets(directive.acceptance_criteria)}\n\n"
        f"Constraints:\n{_bullets(directive.constraints)}\n\n"
        "Work only on this step. Your changes are committed and pushed for you when you "
        "finish, and the project's tests are run on them.\n"
    )
    return "\n".join(parts)


def evaluation_prompt(
    directive: DirectivePublic, step: StepPublic, *, diff: str, verifier_summary: str
) -> str:
    criteria = directive.acceptance_criteria or ["The step does what its task plan says."]
    return (
        "You are the evaluator of one step of a makima directive. Judge the change below "
        "against the criteria. Do not modify files.\n\n"
        f"# Step: {step.name}\n{step.description}\n\n## Task plan (as given to the agent)\n"
        f"{_quoted(step.task_plan)}\n\n"
        f"## Criteria\n{_bullets(criteria)}\n\n"
        f"## Checks that ran\n{verifier_summary}\n\n"
        f"## The change (diff against its base)\n```diff\n{diff}\n```\n\n"
        "Answer with one JSON object, either through "
        "`makima step evaluate --verdict -` (JSON on stdin) or as your final message:\n"
        '{"passed": bool, "overall_score": 0..1, "confidence": 0..1, '
        '"criteria": [{"criterion": str, "passed": bool, "evidence": str}], '
        '"summary": str, "rework_instructions": str | null}\n'
    )


_REPLAN_ACTIONS = {
    "passed": "stays (its work is kept; new steps may depend on it to inherit it)",
    "running": "stays (it is running now)",
    "evaluating": "stays (its result is being evaluated)",
    "awaiting_approval": "stays (a person is reviewing it)",
    "pending": "may be removed",
    "ready": "may be removed",
    "failed": "may be removed",
    "skipped": "may be removed",
}


def replanning_prompt(
    directive: DirectivePublic,
    *,
    previous_goals: Sequence[str],
    steps: Sequence[StepPublic],
    orders: Sequence[str] = (),
    previous_failure: str | None = None,
) -> str:
    """Re-planning after a goal edit (or linked orders): what changed, what exists, what
    the planner may do with each existing step."""
    history = "\n\n".join(
        f"### Version {i + 1} (previous)\n{goal}" for i, goal in enumerate(previous_goals)
    )
    by_status: dict[str, list[StepPublic]] = {}
    for step in steps:
        by_status.setdefault(step.status.value, []).append(step)
    groups = []
    for status, members in by_status.items():
        lines = "\n".join(f"- {s.name} (id {s.id}): {s.description}" for s in members)
        groups.append(f"### {status}: {_REPLAN_ACTIONS.get(status, 'stays')}\n{lines}")
    existing = "\n\n".join(groups) if groups else "(no steps yet)"
    parts = [
        "You are the planning agent for a makima directive whose goal changed. Do not change "
        "any files: adjust the plan with the makima CLI.",
        directive_brief(directive),
        f"## How the goal changed\n### Current version\n{directive.goal}\n\n{history}\n",
        f"## Existing steps (generation {directive.generation - 1} and earlier)\n{existing}\n",
    ]
    if previous_failure:
        parts.insert(
            1, f"## Your previous attempt ended without a valid plan\n{previous_failure}\n"
        )
    if orders:
        parts.append(
            "## Orders linked to this directive (highest priority first)\n"
            + _bullets(orders)
            + "\nPick an adequate number of them to plan now; put each order's id in the "
            "`order_ids` of the steps that work on it.\n"
        )
    parts.append(
        PLAN_HOWTO + '\nTo remove steps, list their names in "remove" next to "steps" in the same '
        'submission. Submit only new steps in "steps"; new steps may depend on existing '
        "steps by name.\n"
    )
    return "\n".join(parts)
