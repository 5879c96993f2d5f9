"""orchestrator.dag: plan validation, readiness, cycle detection, topological order."""

from __future__ import annotations

import random
import uuid

import pytest

from orchestrator.dag import (
    PlanLimits,
    PlanValidationError,
    StepNode,
    blocked_steps,
    find_cycle,
    ready_steps,
    topological_order,
    validate_plan,
)
from schemas.plans import StepSpec
from schemas.statuses import STEP_TERMINAL, StepStatus

S = StepStatus


def spec(name: str, *deps: str, order_index: int = 0, **fields: str) -> StepSpec:
    return StepSpec(name=name, depends_on=list(deps), order_index=order_index, **fields)


def node(
    name: str,
    status: StepStatus = S.PENDING,
    deps: tuple[uuid.UUID, ...] = (),
    order_index: int = 0,
    generation: int = 0,
) -> StepNode:
    return StepNode(
        id=uuid.uuid4(),
        name=name,
        status=status,
        depends_on=deps,
        order_index=order_index,
        generation=generation,
    )


def problems(specs: list[StepSpec], **kwargs: object) -> list[tuple[str | None, str, str]]:
    with pytest.raises(PlanValidationError) as caught:
        validate_plan(specs, **kwargs)  # type: ignore[arg-type]
    return [(p.step, p.field, p.reason) for p in caught.value.problems]


# -- validation ------------------------------------------------------------------------


def test_valid_plan_resolves_names_to_the_chosen_ids() -> None:
    plan = validate_plan([spec("a"), spec("b", "a"), spec("c", "a", "b")])
    ids = {s.spec.name: s.id for s in plan.steps}
    by_name = {s.spec.name: s for s in plan.steps}
    assert by_name["a"].depends_on == ()
    assert by_name["b"].depends_on == (ids["a"],)
    assert by_name["c"].depends_on == (ids["a"], ids["b"])
    assert len(set(ids.values())) == 3


def test_dependencies_may_name_existing_steps_by_name_or_id() -> None:
    existing = node("setup", S.PASSED)
    plan = validate_plan([spec("x", "setup"), spec("y", str(existing.id))], existing=[existing])
    assert [s.depends_on for s in plan.steps] == [(existing.id,), (existing.id,)]


def test_repeated_dependency_is_kept_once() -> None:
    plan = validate_plan([spec("a"), spec("b", "a", "a")])
    assert len(plan.steps[1].depends_on) == 1


def test_unknown_dependency_names_step_and_dependency() -> None:
    assert problems([spec("a", "ghost")]) == [("a", "depends_on", "unknown dependency 'ghost'")]


def test_removed_existing_step_is_not_a_known_dependency() -> None:
    gone = node("old", S.REMOVED)
    assert problems([spec("a", "old")], existing=[gone]) == [
        ("a", "depends_on", "unknown dependency 'old'")
    ]


def test_self_dependency() -> None:
    assert problems([spec("a", "a")]) == [("a", "depends_on", "a step cannot depend on itself")]


def test_cycle_is_reported_with_its_path() -> None:
    found = problems([spec("a", "c"), spec("b", "a"), spec("c", "b")])
    assert len(found) == 1
    step, field, reason = found[0]
    assert field == "depends_on"
    assert step in {"a", "b", "c"}
    assert reason.startswith("cycle: ")
    path = reason.removeprefix("cycle: ").split(" → ")
    assert path[0] == path[-1] and set(path) == {"a", "b", "c"}


def test_duplicate_names_in_the_plan_and_against_existing_steps() -> None:
    assert ("a", "name", "duplicate name in this plan") in problems([spec("a"), spec("a")])
    existing = node("a", S.PASSED)
    assert problems([spec("a")], existing=[existing]) == [
        ("a", "name", "a step with this name already exists")
    ]


def test_a_removed_steps_name_may_be_reused() -> None:
    plan = validate_plan([spec("a")], existing=[node("a", S.REMOVED)])
    assert plan.steps[0].spec.name == "a"


def test_empty_plan() -> None:
    assert problems([]) == [(None, "steps", "the plan is empty")]
    assert validate_plan([], allow_empty=True).steps == ()


def test_step_count_limit_counts_existing_steps() -> None:
    existing = [node(f"e{i}", S.PASSED) for i in range(2)]
    found = problems([spec("a"), spec("b")], existing=existing, limits=PlanLimits(max_steps=3))
    assert found == [(None, "steps", "2 new + 2 existing steps exceed the limit of 3")]


def test_text_and_name_limits_name_the_step_and_field() -> None:
    limits = PlanLimits(max_text_chars=10, max_name_chars=5)
    found = problems([spec("ok", description="x" * 11, task_plan="y" * 11)], limits=limits)
    assert found == [
        ("ok", "description", "longer than 10 characters"),
        ("ok", "task_plan", "longer than 10 characters"),
    ]
    assert problems([spec("toolong")], limits=limits) == [
        ("toolong", "name", "longer than 5 characters")
    ]


def test_blank_name() -> None:
    assert problems([spec("   ")]) == [("   ", "name", "must not be blank")]


def test_every_problem_is_reported_not_just_the_first() -> None:
    found = problems([spec("a", "ghost"), spec("a"), spec("b", "b")])
    assert {(s, f) for s, f, _ in found} == {
        ("a", "depends_on"),
        ("a", "name"),
        ("b", "depends_on"),
    }


def test_remove_open_steps_by_name_or_id() -> None:
    pending, failed = node("p"), node("f", S.FAILED)
    plan = validate_plan([spec("new")], existing=[pending, failed], remove=["p", str(failed.id)])
    assert set(plan.remove) == {pending.id, failed.id}


def test_remove_only_plan_is_not_empty() -> None:
    pending = node("p")
    assert validate_plan([], existing=[pending], remove=["p"]).remove == (pending.id,)


def test_remove_refuses_running_passed_and_unknown_steps() -> None:
    running, passed = node("r", S.RUNNING), node("ok", S.PASSED)
    found = problems([spec("x")], existing=[running, passed], remove=["r", "ok", "nope"])
    assert found == [
        ("r", "remove", "a running step cannot be removed"),
        ("ok", "remove", "a passed step cannot be removed"),
        ("nope", "remove", "no such step in this directive"),
    ]


def test_new_step_cannot_depend_on_a_step_the_plan_removes() -> None:
    old = node("old")
    assert problems([spec("x", "old")], existing=[old], remove=["old"]) == [
        ("x", "depends_on", "depends on 'old', which this plan removes")
    ]


def test_removed_name_may_be_reused_in_the_same_plan() -> None:
    old = node("a", S.FAILED)
    plan = validate_plan([spec("a")], existing=[old], remove=["a"])
    assert plan.steps[0].id != old.id and plan.remove == (old.id,)


# -- cycles ------------------------------------------------------------------------------


def test_find_cycle() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert find_cycle({a: (), b: (a,), c: (a, b)}) == []
    cycle = find_cycle({a: (c,), b: (a,), c: (b,)})
    assert cycle[0] == cycle[-1] and set(cycle) == {a, b, c}
    assert find_cycle({a: (a,)}) == [a, a]


def test_find_cycle_ignores_edges_to_outside_nodes() -> None:
    a, outside = uuid.uuid4(), uuid.uuid4()
    assert find_cycle({a: (outside,)}) == []


# -- readiness ---------------------------------------------------------------------------


def test_ready_when_every_dependency_passed() -> None:
    a = node("a", S.PASSED)
    b = node("b", S.RUNNING)
    c = node("c", deps=(a.id,))
    d = node("d", deps=(a.id, b.id))
    assert [s.name for s in ready_steps([a, b, c, d])] == ["c"]


def test_only_pending_steps_become_ready() -> None:
    assert ready_steps([node("a", S.READY), node("b", S.FAILED), node("c", S.REMOVED)]) == []


def test_order_index_waits_for_lower_indexes_of_the_same_generation() -> None:
    first = node("first", S.RUNNING, order_index=0)
    second = node("second", order_index=1)
    other_gen = node("other", order_index=2, generation=1)
    assert [s.name for s in ready_steps([first, second, other_gen])] == ["other"]
    done = node("first", S.PASSED, order_index=0)
    assert [s.name for s in ready_steps([done, second])] == ["second"]
    # Failed, skipped and removed steps are terminal too: they do not hold the order up.
    assert [s.name for s in ready_steps([node("f", S.FAILED), second])] == ["second"]


def test_equal_order_index_does_not_wait() -> None:
    running = node("running", S.RUNNING, order_index=1)
    assert [s.name for s in ready_steps([running, node("peer", order_index=1)])] == ["peer"]


def test_readiness_matches_its_definition_on_random_plans() -> None:
    """The linear check agrees with the rule as written (every lower index terminal)."""
    rng = random.Random(7)
    for _ in range(300):
        steps: list[StepNode] = []
        for i in range(rng.randint(1, 12)):
            deps = tuple(rng.sample([s.id for s in steps], k=min(len(steps), rng.randint(0, 2))))
            steps.append(
                node(
                    f"s{i}",
                    rng.choice(list(S)),
                    deps=deps,
                    order_index=rng.randint(0, 3),
                    generation=rng.randint(0, 1),
                )
            )
        live = [s for s in steps if s.status is not S.REMOVED]
        by_id = {s.id: s for s in live}
        expected = sorted(
            (
                s
                for s in live
                if s.status is S.PENDING
                and all(d in by_id and by_id[d].status is S.PASSED for d in s.depends_on)
                and all(
                    o.status in STEP_TERMINAL
                    for o in live
                    if o.generation == s.generation and o.order_index < s.order_index
                )
            ),
            key=lambda s: (s.generation, s.order_index, s.name),
        )
        assert ready_steps(steps) == expected


def test_ready_is_sorted_by_generation_order_and_name() -> None:
    steps = [node("b"), node("a"), node("z", generation=0, order_index=0)]
    assert [s.name for s in ready_steps(steps)] == ["a", "b", "z"]


def test_dependency_on_a_removed_step_never_becomes_ready_and_is_blocked() -> None:
    gone = node("gone", S.REMOVED)
    failed = node("bad", S.FAILED)
    waits_removed = node("x", deps=(gone.id,))
    waits_failed = node("y", deps=(failed.id,))
    assert ready_steps([gone, failed, waits_removed, waits_failed]) == []
    assert blocked_steps([gone, failed, waits_removed, waits_failed]) == {
        waits_removed.id: "a dependency was removed",
        waits_failed.id: "dependency 'bad' is failed",
    }


# -- topological order -------------------------------------------------------------------


def test_topological_order_puts_dependencies_first() -> None:
    a = node("a")
    b = node("b", deps=(a.id,))
    c = node("c", deps=(b.id,))
    d = node("d", deps=(a.id,))
    order = topological_order([c, d, b, a])
    assert order.index(a.id) < order.index(b.id) < order.index(c.id)
    assert order.index(a.id) < order.index(d.id)
    assert order == [a.id, b.id, d.id, c.id]


def test_topological_order_ties_by_generation_order_index_and_name() -> None:
    late = node("a", generation=1)
    second = node("b", order_index=1)
    first = node("c", order_index=0)
    assert topological_order([late, second, first]) == [first.id, second.id, late.id]


def test_topological_order_terminates_on_a_cycle() -> None:
    a_id, b_id = uuid.uuid4(), uuid.uuid4()
    a = StepNode(id=a_id, name="a", status=S.PENDING, depends_on=(b_id,))
    b = StepNode(id=b_id, name="b", status=S.PENDING, depends_on=(a_id,))
    assert sorted(topological_order([a, b])) == sorted([a_id, b_id])
