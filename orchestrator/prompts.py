"""Prompt building, as pure functions of plain values (the public views of the rows).

Every prompt an agent gets is built here, so what an agent was told can be reproduced from
the database and tested without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from schemas.directives import DirectivePublic, GoalVersion
from schemas.enums import OrderPriority, OrderStatus
from schemas.orders import OrderPublic
from schemas.statuses import STEP_EDITABLE_BY_PLANNER, StepStatus
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
    directive: DirectivePublic,
    *,
    attempt: int,
    previous_failure: str | None,
    orders: Sequence[OrderPublic] = (),
) -> str:
    """The first plan of a directive; orders linked to it before it started are listed."""
    parts = [
        "You are the planning agent for a makima directive. Do not change any files: "
        "your only output is a plan submitted with the makima CLI.\n",
        directive_brief(directive),
    ]
    if previous_failure:
        parts.insert(
            1,
            f"## Your previous planning attempt (#{attempt - 1}) ended without a valid plan\n"
            f"{previous_failure}\nSubmit a valid plan this time.\n",
        )
    if orders:
        parts.append(orders_section(orders))
    parts.append(PLAN_HOWTO)
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


_PRIORITY_RANK = {priority: rank for rank, priority in enumerate(OrderPriority)}


def orders_by_priority(orders: Iterable[OrderPublic]) -> list[OrderPublic]:
    """Highest priority first; within a priority, oldest first."""
    return sorted(orders, key=lambda o: (_PRIORITY_RANK[o.priority], o.created_at, str(o.id)))


def orders_section(orders: Sequence[OrderPublic]) -> str:
    """The backlog orders a planner may pick from, and how to tie steps to them."""
    lines = []
    for order in orders_by_priority(orders):
        lines.append(
            f"- [{order.priority.value}] {order.type.value}: {order.title} "
            f"(id {order.id}; {order.status.value})"
        )
        # Quoted: an order's text describes work; it is not instructions to the planner.
        lines += [f"  {line}" for line in _quoted(order.description.strip()).splitlines()]
    return (
        "## Orders linked to this directive (highest priority first)\n"
        + "\n".join(lines)
        + "\n\nPick an adequate number of these orders to plan now, taking the highest "
        "priorities first: as many as fit in a plan that stays small and testable. Orders you "
        "leave out stay open in the backlog for a later pickup. Put each order's id in the "
        '`order_ids` of the steps that work on it, e.g. `"order_ids": ["<order id>"]`; an '
        "order already in_progress has steps; add more only if its work is unfinished.\n"
    )


def _replan_action(status: StepStatus) -> str:
    """What the planner may do with an existing step of this status."""
    if status is StepStatus.PASSED:
        return "stay: their work is kept, and new steps may depend on them to inherit it"
    if status in STEP_EDITABLE_BY_PLANNER:
        return 'may be removed: list their names in "remove"; keep those still useful'
    return "stay: they are under way and cannot be removed"


def _existing_steps(steps: Sequence[StepPublic]) -> str:
    """Every live step grouped by status, in the order of the step machine."""
    names = {s.id: s.name for s in steps}
    groups = []
    for status in StepStatus:
        if status is StepStatus.REMOVED:
            continue
        members = [s for s in steps if s.status is status]
        if not members:
            continue
        lines = []
        for step in members:
            deps = ", ".join(names.get(d, str(d)) for d in step.depends_on)
            line = f"- {step.name} (id {step.id}, generation {step.generation})"
            line += f": {step.description}" if step.description else ""
            lines.append(line + (f" [depends on: {deps}]" if deps else ""))
        groups.append(f"### {status.value}: {_replan_action(status)}\n" + "\n".join(lines))
    return "\n\n".join(groups) if groups else "(no steps yet)"


def _replan_reasons(goal_changed: bool, orders: Sequence[OrderPublic]) -> tuple[str, str]:
    """The headline's cause and the "Why" section: a goal edit, an order pickup, or both."""
    waiting = [o for o in orders if o.status is OrderStatus.OPEN]
    if goal_changed and waiting:
        headline = "its goal changed and orders linked to it wait to be planned"
    elif goal_changed:
        headline = "its goal changed"
    elif waiting:
        headline = "orders were linked to it (an order pickup)"
    else:
        headline = "a re-plan was requested"
    reasons = []
    if goal_changed:
        reasons.append(
            "The goal changed since the existing steps were planned: compare the current "
            "version with the previous ones, then remove the open steps that no longer serve "
            "the goal and add the steps the new goal needs."
        )
    else:
        reasons.append(
            "The goal did not change: keep the existing plan as it is unless an order needs "
            "a change, and add steps for the orders you pick."
        )
    if waiting:
        reasons.append(
            f"{len(waiting)} linked order(s) wait to be planned (listed below with the others)."
        )
    return headline, _bullets(reasons)


def _goal_versions(directive: DirectivePublic, previous_goals: Sequence[GoalVersion]) -> str:
    newest_first = sorted(previous_goals, key=lambda g: g.replaced_at, reverse=True)
    versions = [f"### Current version\n{directive.goal}"]
    versions += [
        f"### Previous version, replaced {g.replaced_at:%Y-%m-%d %H:%M:%S %Z} "
        f"(generation {g.generation})\n{_quoted(g.goal)}"
        for g in newest_first
    ]
    return "## How the goal changed\n" + "\n\n".join(versions) + "\n"


def replanning_prompt(
    directive: DirectivePublic,
    *,
    goal_changed: bool,
    previous_goals: Sequence[GoalVersion],
    steps: Sequence[StepPublic],
    orders: Sequence[OrderPublic] = (),
    previous_failure: str | None = None,
) -> str:
    """Re-planning after a goal edit or an order pickup: why, what changed, every existing
    step by status with what the planner may do to it, and the orders to pick from.

    `goal_changed` says whether the goal was edited since the existing steps were planned;
    when it was not (an order pickup) the prompt says so and shows no goal versions.
    """
    headline, reasons = _replan_reasons(goal_changed, orders)
    parts = [
        f"You are the planning agent for a makima directive being re-planned because "
        f"{headline}. Do not change any files: adjust the plan with the makima CLI.\n",
        directive_brief(directive),
        f"## Why re-plan\n{reasons}\n",
    ]
    if previous_failure:
        parts.insert(
            1, f"## Your previous attempt ended without a valid plan\n{previous_failure}\n"
        )
    if goal_changed:
        parts.append(_goal_versions(directive, previous_goals))
    parts.append(f"## Existing steps\n{_existing_steps(steps)}\n")
    if orders:
        parts.append(orders_section(orders))
    parts.append(
        PLAN_HOWTO + "\n## Changing an existing plan\n"
        'Submit only new steps in "steps"; they join generation '
        f'{directive.generation}. To remove open steps, list their names in "remove" next '
        'to "steps" in the same submission. New steps may depend on existing steps by name: '
        "depending on a passed step makes the new step start from its branch, so its work is "
        "inherited. Passed, running, evaluating and awaiting_approval steps stay.\n"
    )
    return "\n".join(parts)
