"""Planning and re-planning prompts, as pure functions: what the planner is told and why."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from orchestrator.prompts import orders_by_priority, planning_prompt, replanning_prompt
from schemas.directives import DirectivePublic, GoalVersion
from schemas.enums import (
    AutonomyLevel,
    EvaluatorFailurePolicy,
    ForgeKind,
    OrderPriority,
    OrderStatus,
    OrderType,
)
from schemas.orders import OrderPublic
from schemas.statuses import DirectiveStatus, StepStatus
from schemas.steps import StepPublic

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DIRECTIVE_ID = uuid.UUID(int=1)


def directive(goal: str = "Add division to calc.", generation: int = 1) -> DirectivePublic:
    return DirectivePublic(
        id=DIRECTIVE_ID,
        title="Grow the calculator",
        goal=goal,
        requirements=["keep it small"],
        acceptance_criteria=["tests pass"],
        constraints=[],
        repository="/srv/calc",
        base_branch="main",
        pool="default",
        status=DirectiveStatus.PLANNING,
        status_reason=None,
        autonomy=AutonomyLevel.FULL_AUTO,
        green_threshold=0.8,
        yellow_threshold=0.5,
        max_rework_cycles=3,
        max_chain_regenerations=3,
        chain_regenerations=generation,
        max_total_cost_usd=Decimal("10"),
        total_cost_usd=Decimal("0"),
        max_wall_seconds=3600,
        runtime="scripted",
        model=None,
        max_turns=None,
        session_timeout_seconds=600,
        verifier_commands=[],
        auto_verifiers=True,
        evaluator_enabled=False,
        evaluator_failure_policy=EvaluatorFailurePolicy.ASK,
        generation=generation,
        pr_branch=None,
        pr_url=None,
        forge=ForgeKind.LOCAL,
        forge_repository=None,
        completion_round=0,
        started_at=T0,
        completed_at=None,
        created_at=T0,
        updated_at=T0,
    )


def step(
    name: str,
    status: StepStatus,
    *,
    number: int,
    depends_on: tuple[uuid.UUID, ...] = (),
    generation: int = 0,
) -> StepPublic:
    return StepPublic(
        id=uuid.UUID(int=100 + number),
        directive_id=DIRECTIVE_ID,
        name=name,
        description=f"the {name} step",
        task_plan=f"do {name}",
        depends_on=list(depends_on),
        order_index=0,
        generation=generation,
        status=status,
        rework_count=0,
        attempts=1,
        current_task_id=None,
        last_evaluation_id=None,
        feedback=None,
        confidence=None,
        branch=None,
        commit=None,
        order_ids=[],
        created_at=T0,
        updated_at=T0,
    )


def order(
    title: str,
    priority: OrderPriority,
    *,
    number: int,
    status: OrderStatus = OrderStatus.OPEN,
    description: str = "",
) -> OrderPublic:
    return OrderPublic(
        id=uuid.UUID(int=200 + number),
        title=title,
        description=description,
        priority=priority,
        type=OrderType.BUG if priority is OrderPriority.CRITICAL else OrderType.FEATURE,
        status=status,
        directive_id=DIRECTIVE_ID,
        created_at=T0 + timedelta(minutes=number),
        updated_at=T0,
    )


PASSED = step("parse", StepStatus.PASSED, number=1)
RUNNING = step("format", StepStatus.RUNNING, number=2, depends_on=(PASSED.id,))
PENDING = step("docs", StepStatus.PENDING, number=3, depends_on=(RUNNING.id,))
FAILED = step("lint", StepStatus.FAILED, number=4)
SKIPPED = step("bench", StepStatus.SKIPPED, number=5)
READY = step("types", StepStatus.READY, number=6)
STEPS = [PENDING, FAILED, PASSED, SKIPPED, RUNNING, READY]

LOW = order("Tidy the README", OrderPriority.LOW, number=1)
CRITICAL = order("Crash on divide by zero", OrderPriority.CRITICAL, number=2, description="boom")
MEDIUM = order("Add modulo", OrderPriority.MEDIUM, number=3)
HIGH = order("Add power", OrderPriority.HIGH, number=4, status=OrderStatus.IN_PROGRESS)
HIGH_LATER = order("Add roots", OrderPriority.HIGH, number=5)
ORDERS = [LOW, MEDIUM, HIGH_LATER, CRITICAL, HIGH]

PREVIOUS = [
    GoalVersion(goal="Add subtraction.", generation=0, replaced_at=T0 + timedelta(hours=1)),
    GoalVersion(goal="Add multiplication.", generation=1, replaced_at=T0 + timedelta(hours=2)),
]


def section(prompt: str, title: str) -> str:
    """The text of one `## title` section, up to the next `## ` heading."""
    start = prompt.index(f"## {title}")
    end = prompt.find("\n## ", start + 1)
    return prompt[start : end if end != -1 else len(prompt)]


def test_orders_are_ranked_by_priority_then_age() -> None:
    assert orders_by_priority(ORDERS) == [CRITICAL, HIGH, HIGH_LATER, MEDIUM, LOW]


def test_a_goal_edit_shows_current_and_previous_goals_newest_first() -> None:
    prompt = replanning_prompt(
        directive(generation=2), goal_changed=True, previous_goals=PREVIOUS, steps=STEPS
    )
    assert prompt.startswith(
        "You are the planning agent for a makima directive being re-planned because its goal "
        "changed."
    )
    assert "The goal changed since the existing steps were planned" in section(
        prompt, "Why re-plan"
    )
    goals = section(prompt, "How the goal changed")
    current = goals.index("### Current version\nAdd division to calc.")
    newest = goals.index(
        "### Previous version, replaced 2025-03-01 14:00:00 UTC (generation 1)\n"
        "> Add multiplication."
    )
    oldest = goals.index("replaced 2025-03-01 13:00:00 UTC (generation 0)\n> Add subtraction.")
    assert current < newest < oldest
    assert "Orders linked" not in prompt


def test_existing_steps_are_grouped_by_status_with_what_the_planner_may_do() -> None:
    prompt = replanning_prompt(
        directive(), goal_changed=True, previous_goals=PREVIOUS[:1], steps=STEPS
    )
    existing = section(prompt, "Existing steps")
    headings = [line for line in existing.splitlines() if line.startswith("### ")]
    assert headings == [
        '### pending: may be removed: list their names in "remove"; keep those still useful',
        '### ready: may be removed: list their names in "remove"; keep those still useful',
        "### running: stay: they are under way and cannot be removed",
        "### passed: stay: their work is kept, and new steps may depend on them to inherit it",
        '### failed: may be removed: list their names in "remove"; keep those still useful',
        '### skipped: may be removed: list their names in "remove"; keep those still useful',
    ]
    assert f"- parse (id {PASSED.id}, generation 0): the parse step\n" in existing
    assert f"- docs (id {PENDING.id}, generation 0): the docs step [depends on: format]" in (
        existing
    )
    howto = section(prompt, "Changing an existing plan")
    assert 'they join generation 1. To remove open steps, list their names in "remove"' in howto
    assert "depending on a passed step makes the new step start from its branch" in howto


def test_an_order_pickup_does_not_claim_the_goal_changed() -> None:
    prompt = replanning_prompt(
        directive(), goal_changed=False, previous_goals=PREVIOUS, steps=STEPS, orders=ORDERS
    )
    assert prompt.startswith(
        "You are the planning agent for a makima directive being re-planned because orders "
        "were linked to it (an order pickup)."
    )
    why = section(prompt, "Why re-plan")
    assert "The goal did not change" in why
    assert "4 linked order(s) wait to be planned" in why
    assert "goal changed" not in prompt
    assert "How the goal changed" not in prompt
    assert "Add subtraction." not in prompt
    assert "## Existing steps" in prompt


def test_orders_are_listed_highest_priority_first_with_the_pick_instruction() -> None:
    prompt = replanning_prompt(
        directive(), goal_changed=False, previous_goals=[], steps=STEPS, orders=ORDERS
    )
    listed = section(prompt, "Orders linked to this directive (highest priority first)")
    lines = [line for line in listed.splitlines() if line.startswith("- [")]
    assert lines == [
        f"- [critical] bug: Crash on divide by zero (id {CRITICAL.id}; open)",
        f"- [high] feature: Add power (id {HIGH.id}; in_progress)",
        f"- [high] feature: Add roots (id {HIGH_LATER.id}; open)",
        f"- [medium] feature: Add modulo (id {MEDIUM.id}; open)",
        f"- [low] feature: Tidy the README (id {LOW.id}; open)",
    ]
    assert "  > boom" in listed
    assert "Pick an adequate number of these orders" in listed
    assert "Put each order's id in the `order_ids` of the steps that work on it" in listed


def test_a_goal_edit_with_waiting_orders_gives_both_reasons() -> None:
    prompt = replanning_prompt(
        directive(), goal_changed=True, previous_goals=PREVIOUS, steps=[], orders=[MEDIUM]
    )
    assert "because its goal changed and orders linked to it wait to be planned." in prompt
    assert "(no steps yet)" in section(prompt, "Existing steps")
    assert "1 linked order(s) wait to be planned" in section(prompt, "Why re-plan")


def test_a_previous_failure_comes_before_the_brief() -> None:
    prompt = replanning_prompt(
        directive(),
        goal_changed=True,
        previous_goals=PREVIOUS,
        steps=STEPS,
        previous_failure="The planning session ended without submitting a valid plan.",
    )
    failure = prompt.index("## Your previous attempt ended without a valid plan")
    assert failure < prompt.index("# Directive: Grow the calculator")


def test_the_first_plan_lists_linked_orders_by_priority() -> None:
    prompt = planning_prompt(
        directive(generation=0), attempt=1, previous_failure=None, orders=[LOW, CRITICAL]
    )
    listed = section(prompt, "Orders linked to this directive (highest priority first)")
    assert listed.index("Crash on divide by zero") < listed.index("Tidy the README")
    assert "Pick an adequate number of these orders" in listed
    assert prompt.index("## Orders linked") < prompt.index("## How to submit the plan")


def test_the_first_plan_without_orders_has_no_order_section() -> None:
    prompt = planning_prompt(directive(generation=0), attempt=2, previous_failure="no plan")
    assert "Orders linked" not in prompt
    assert "## Your previous planning attempt (#1) ended without a valid plan\nno plan" in prompt
