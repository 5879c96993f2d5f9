"""Pure DAG logic: plan validation, readiness and ordering. No I/O.

A plan is validated as a whole before anything is written; every problem found is
reported (not just the first), each naming the step and the reason.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from schemas.plans import StepSpec
from schemas.statuses import STEP_EDITABLE_BY_PLANNER, STEP_TERMINAL, StepStatus


@dataclass(frozen=True)
class PlanLimits:
    max_steps: int = 100
    max_text_chars: int = 20_000
    max_name_chars: int = 200


@dataclass(frozen=True)
class StepNode:
    """What the DAG needs to know about a stored step."""

    id: uuid.UUID
    name: str
    status: StepStatus
    depends_on: tuple[uuid.UUID, ...] = ()
    order_index: int = 0
    generation: int = 0


@dataclass(frozen=True)
class PlanProblem:
    step: str | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"step {self.step!r}" if self.step is not None else "plan"
        return f"{where}: {self.field}: {self.reason}"


class PlanValidationError(ValueError):
    def __init__(self, problems: Sequence[PlanProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class NewStep:
    """A validated step ready to insert: its id is chosen here so dependencies resolve."""

    id: uuid.UUID
    spec: StepSpec
    depends_on: tuple[uuid.UUID, ...]


@dataclass(frozen=True)
class ValidatedPlan:
    steps: tuple[NewStep, ...]
    remove: tuple[uuid.UUID, ...] = field(default=())


def _resolve(ref: str, by_name: dict[str, uuid.UUID], by_id: set[uuid.UUID]) -> uuid.UUID | None:
    if ref in by_name:
        return by_name[ref]
    try:
        candidate = uuid.UUID(ref)
    except ValueError:
        return None
    return candidate if candidate in by_id else None


def validate_plan(
    specs: Sequence[StepSpec],
    *,
    existing: Sequence[StepNode] = (),
    remove: Sequence[str] = (),
    limits: PlanLimits = PlanLimits(),
    allow_empty: bool = False,
) -> ValidatedPlan:
    """Check new steps against each other and the directive's existing steps.

    Dependencies may name a new step or an existing, not removed, step (by name or id).
    `remove` lists existing steps the planner drops; only pending, ready, failed or skipped
    steps may be removed, and nothing new may depend on them.
    """
    problems: list[PlanProblem] = []
    live = [s for s in existing if s.status is not StepStatus.REMOVED]
    live_by_name = {s.name: s for s in live}
    live_by_id = {s.id: s for s in live}

    removed: set[uuid.UUID] = set()
    for ref in remove:
        target = live_by_name.get(ref)
        if target is None:
            resolved = _resolve(ref, {}, set(live_by_id))
            target = live_by_id.get(resolved) if resolved else None
        if target is None:
            problems.append(PlanProblem(ref, "remove", "no such step in this directive"))
        elif target.status not in STEP_EDITABLE_BY_PLANNER:
            problems.append(
                PlanProblem(
                    target.name, "remove", f"a {target.status.value} step cannot be removed"
                )
            )
        else:
            removed.add(target.id)

    if not specs and not allow_empty and not removed:
        problems.append(PlanProblem(None, "steps", "the plan is empty"))
    kept = [s for s in live if s.id not in removed]
    if len(specs) + len(kept) > limits.max_steps:
        problems.append(
            PlanProblem(
                None,
                "steps",
                f"{len(specs)} new + {len(kept)} existing steps exceed the limit of "
                f"{limits.max_steps}",
            )
        )

    new_ids: dict[str, uuid.UUID] = {}
    for spec in specs:
        name = spec.name.strip()
        if not name:
            problems.append(PlanProblem(spec.name, "name", "must not be blank"))
        elif len(name) > limits.max_name_chars:
            problems.append(
                PlanProblem(name[:60], "name", f"longer than {limits.max_name_chars} characters")
            )
        if name in new_ids:
            problems.append(PlanProblem(name, "name", "duplicate name in this plan"))
        elif name in live_by_name and live_by_name[name].id not in removed:
            problems.append(PlanProblem(name, "name", "a step with this name already exists"))
        new_ids.setdefault(name, uuid.uuid4())
        for text_field in ("description", "task_plan"):
            if len(getattr(spec, text_field)) > limits.max_text_chars:
                problems.append(
                    PlanProblem(name, text_field, f"longer than {limits.max_text_chars} characters")
                )

    names = {**{s.name: s.id for s in kept}, **new_ids}
    known_ids = set(names.values())
    resolved_steps: list[NewStep] = []
    for spec in specs:
        name = spec.name.strip()
        deps: list[uuid.UUID] = []
        for ref in spec.depends_on:
            if ref.strip() == name:
                problems.append(PlanProblem(name, "depends_on", "a step cannot depend on itself"))
                continue
            dep = _resolve(ref.strip(), names, known_ids)
            if dep is None:
                reason = (
                    f"depends on {ref!r}, which this plan removes"
                    if ref in live_by_name and live_by_name[ref].id in removed
                    else f"unknown dependency {ref!r}"
                )
                problems.append(PlanProblem(name, "depends_on", reason))
            elif dep not in deps:
                deps.append(dep)
        resolved_steps.append(NewStep(id=new_ids[name], spec=spec, depends_on=tuple(deps)))

    if not problems:
        cycle = find_cycle({s.id: s.depends_on for s in resolved_steps})
        if cycle:
            id_to_name = {s.id: s.spec.name for s in resolved_steps}
            path = " → ".join(id_to_name[i] for i in cycle)
            problems.append(PlanProblem(id_to_name[cycle[0]], "depends_on", f"cycle: {path}"))
    if problems:
        raise PlanValidationError(problems)
    return ValidatedPlan(steps=tuple(resolved_steps), remove=tuple(sorted(removed)))


def find_cycle(graph: dict[uuid.UUID, tuple[uuid.UUID, ...]]) -> list[uuid.UUID]:
    """A cycle as a closed path (first node repeated at the end), or [] when acyclic."""
    white, grey, black = 0, 1, 2
    color = dict.fromkeys(graph, white)
    stack: list[uuid.UUID] = []

    def visit(node: uuid.UUID) -> list[uuid.UUID]:
        color[node] = grey
        stack.append(node)
        for dep in graph.get(node, ()):
            if dep not in color:
                continue  # an existing step: it cannot depend on a new one
            if color[dep] == grey:
                return [*stack[stack.index(dep) :], dep]
            if color[dep] == white and (found := visit(dep)):
                return found
        stack.pop()
        color[node] = black
        return []

    for node in graph:
        if color[node] == white and (found := visit(node)):
            return found
    return []


def ready_steps(steps: Iterable[StepNode]) -> list[StepNode]:
    """Pending steps whose dependencies all passed and whose earlier order_index is done.

    The order_index rule applies within a generation: a step waits until every step of its
    generation with a lower order_index is terminal. Linear in the number of steps (this
    runs on every handoff): the rule is checked against the lowest order_index still open
    in each generation.
    """
    all_steps = [s for s in steps if s.status is not StepStatus.REMOVED]
    by_id = {s.id: s for s in all_steps}
    lowest_open: dict[int, int] = {}
    for step in all_steps:
        if step.status not in STEP_TERMINAL:
            current = lowest_open.get(step.generation, step.order_index)
            lowest_open[step.generation] = min(current, step.order_index)
    ready = [
        step
        for step in all_steps
        if step.status is StepStatus.PENDING
        # A pending step is open itself, so "nothing open lower" means it is the lowest.
        and step.order_index <= lowest_open[step.generation]
        and all(dep in by_id and by_id[dep].status is StepStatus.PASSED for dep in step.depends_on)
    ]
    return sorted(ready, key=lambda s: (s.generation, s.order_index, s.name))


def blocked_steps(steps: Iterable[StepNode]) -> dict[uuid.UUID, str]:
    """Pending steps that can never become ready, with the reason (a dependency failed)."""
    all_steps = [s for s in steps if s.status is not StepStatus.REMOVED]
    by_id = {s.id: s for s in all_steps}
    blocked: dict[uuid.UUID, str] = {}
    for step in all_steps:
        if step.status is not StepStatus.PENDING:
            continue
        for dep in step.depends_on:
            other = by_id.get(dep)
            if other is None:
                blocked[step.id] = "a dependency was removed"
            elif other.status in STEP_TERMINAL and other.status is not StepStatus.PASSED:
                blocked[step.id] = f"dependency {other.name!r} is {other.status.value}"
    return blocked


def topological_order(steps: Sequence[StepNode]) -> list[uuid.UUID]:
    """Step ids with every dependency before its dependents (ties: generation, order, name)."""
    present = {s.id: s for s in steps}
    remaining = {s.id: {d for d in s.depends_on if d in present} for s in steps}
    order: list[uuid.UUID] = []
    while remaining:
        free = [present[i] for i, deps in remaining.items() if not deps]
        if not free:  # a cycle cannot be stored, but never loop forever on bad data
            free = [present[next(iter(remaining))]]
        free.sort(key=lambda s: (s.generation, s.order_index, s.name))
        for node in free:
            order.append(node.id)
            del remaining[node.id]
        for deps in remaining.values():
            deps.difference_update(n.id for n in free)
    return order
