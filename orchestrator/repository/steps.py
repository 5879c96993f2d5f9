"""Steps of a directive: list, add (one, a batch, a whole plan), remove.

Every addition goes through `orchestrator.dag.validate_plan` as a whole, against the
directive's existing steps, before anything is written; a refusal lists every problem,
each naming its step. Callers lock the directive row first (`get_directive(...,
for_update=True)`): without the lock two concurrent submissions could both pass the
duplicate-name check and the second would fail late on the unique index.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.dag import (
    PlanLimits,
    PlanProblem,
    PlanValidationError,
    StepNode,
    ValidatedPlan,
    validate_plan,
)
from orchestrator.errors import ConflictError, NotFoundError
from orchestrator.models import Directive, Order, Step
from orchestrator.repository.events import record_event
from orchestrator.repository.orders import refresh_order_progress
from orchestrator.repository.transitions import transition
from schemas.enums import EventType
from schemas.plans import StepSpec
from schemas.statuses import STEP_EDITABLE_BY_PLANNER, DirectiveStatus, StepStatus

# A directive in one of these states takes no new steps: a stopped one never runs again,
# and a completed or failed one re-plans only through a goal edit (which re-opens it).
_PLAN_CLOSED = frozenset(
    {DirectiveStatus.COMPLETED, DirectiveStatus.FAILED, DirectiveStatus.STOPPED}
)


def list_steps(
    session: Session, *, directive_id: uuid.UUID, include_removed: bool = False
) -> list[Step]:
    """The directive's steps in plan order (the caller has checked the directive's owner)."""
    query = select(Step).where(Step.directive_id == directive_id)
    if not include_removed:
        query = query.where(Step.status != StepStatus.REMOVED)
    query = query.order_by(Step.generation, Step.order_index, Step.created_at, Step.name)
    return list(session.scalars(query))


def get_step(session: Session, *, directive_id: uuid.UUID, step_id: uuid.UUID) -> Step:
    step = session.scalars(
        select(Step).where(Step.id == step_id, Step.directive_id == directive_id)
    ).one_or_none()
    if step is None:
        raise NotFoundError(f"step {step_id} not found in this directive", field="step_id")
    return step


def step_nodes(steps: Iterable[Step]) -> list[StepNode]:
    """What the pure DAG functions need to know about stored steps."""
    return [
        StepNode(
            id=s.id,
            name=s.name,
            status=s.status,
            depends_on=tuple(s.depends_on),
            order_index=s.order_index,
            generation=s.generation,
        )
        for s in steps
    ]


def _order_problems(
    session: Session, *, owner_id: uuid.UUID, specs: Sequence[StepSpec]
) -> list[PlanProblem]:
    """Steps may only name orders of the same owner."""
    wanted = {oid for spec in specs for oid in spec.order_ids}
    if not wanted:
        return []
    found = set(
        session.scalars(select(Order.id).where(Order.id.in_(wanted), Order.owner_id == owner_id))
    )
    return [
        PlanProblem(spec.name.strip(), "order_ids", f"unknown order {oid}")
        for spec in specs
        for oid in spec.order_ids
        if oid not in found
    ]


def check_plan(
    session: Session,
    *,
    owner_id: uuid.UUID,
    specs: Sequence[StepSpec],
    existing: Sequence[Step] = (),
    remove: Sequence[str] = (),
    limits: PlanLimits,
) -> ValidatedPlan:
    """Validate new steps as a whole (DAG rules and owned orders); raise with every problem."""
    order_problems = _order_problems(session, owner_id=owner_id, specs=specs)
    try:
        plan = validate_plan(specs, existing=step_nodes(existing), remove=remove, limits=limits)
    except PlanValidationError as error:
        raise PlanValidationError([*error.problems, *order_problems]) from None
    if order_problems:
        raise PlanValidationError(order_problems)
    return plan


def ensure_plan_open(directive: Directive) -> None:
    if directive.status in _PLAN_CLOSED:
        raise ConflictError(
            f"directive is {directive.status.value}; it takes no new steps "
            "(edit its goal to re-plan)",
            field="status",
        )


def insert_plan(
    session: Session,
    *,
    directive: Directive,
    plan: ValidatedPlan,
    actor: str,
    whole_plan: bool,
) -> list[Step]:
    """Write a validated plan: remove what it removes, insert its steps in this generation,
    and move the linked orders its steps name to in_progress.

    Every path that adds steps (create with a plan, add-step, batch, submit-plan) ends here.
    """
    removed_names = [
        _remove(session, directive=directive, step=session.get_one(Step, step_id), actor=actor)
        for step_id in plan.remove
    ]
    steps = [
        Step(
            id=new.id,
            directive_id=directive.id,
            name=new.spec.name.strip(),
            description=new.spec.description,
            task_plan=new.spec.task_plan,
            depends_on=list(new.depends_on),
            order_index=new.spec.order_index,
            generation=directive.generation,
            status=StepStatus.PENDING,
            order_ids=list(new.spec.order_ids),
        )
        for new in plan.steps
    ]
    session.add_all(steps)
    session.flush()
    for step in steps:
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.STEP_ADDED,
            message=f"step {step.name!r} added",
            actor=actor,
            step_id=step.id,
            data={
                "name": step.name,
                "depends_on": [str(d) for d in step.depends_on],
                "order_index": step.order_index,
                "generation": step.generation,
            },
        )
    if whole_plan:
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.PLAN_SUBMITTED,
            message=f"plan submitted: {len(steps)} steps added, {len(removed_names)} removed",
            actor=actor,
            data={
                "added": [s.name for s in steps],
                "removed": removed_names,
                "generation": directive.generation,
            },
        )
    # Orders linked here and now named by a live step are in progress (or, when a re-plan
    # removed all their steps, open again).
    refresh_order_progress(session, directive=directive, actor=actor)
    for step in steps:
        session.refresh(step)
    return steps


def submit_steps(
    session: Session,
    *,
    directive: Directive,
    specs: Sequence[StepSpec],
    limits: PlanLimits,
    actor: str,
    remove: Sequence[str] = (),
    whole_plan: bool = False,
) -> list[Step]:
    """Validate against the existing steps, then write; the directive row must be locked."""
    ensure_plan_open(directive)
    existing = list_steps(session, directive_id=directive.id)
    plan = check_plan(
        session,
        owner_id=directive.owner_id,
        specs=specs,
        existing=existing,
        remove=remove,
        limits=limits,
    )
    return insert_plan(session, directive=directive, plan=plan, actor=actor, whole_plan=whole_plan)


def _remove(session: Session, *, directive: Directive, step: Step, actor: str) -> str:
    if step.status not in STEP_EDITABLE_BY_PLANNER:
        allowed = ", ".join(sorted(s.value for s in STEP_EDITABLE_BY_PLANNER))
        raise ConflictError(
            f"step {step.name!r} is {step.status.value}; only {allowed} steps can be removed",
            field="step_id",
        )
    # The status was read under the directive lock, but dispatch moves steps without it:
    # a lost compare-and-set means the step just started, and the whole request fails.
    if not transition(
        session,
        directive_id=directive.id,
        row_id=step.id,
        current=step.status,
        target=StepStatus.REMOVED,
        reason="removed from the plan",
        actor=actor,
    ):
        raise ConflictError(f"step {step.name!r} changed meanwhile; try again", field="step_id")
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.STEP_REMOVED,
        message=f"step {step.name!r} removed",
        actor=actor,
        step_id=step.id,
        data={"name": step.name},
    )
    session.refresh(step)
    return step.name


def remove_step(session: Session, *, directive: Directive, step_id: uuid.UUID, actor: str) -> Step:
    """Remove one pending, ready, failed or skipped step (409 for any other status)."""
    step = get_step(session, directive_id=directive.id, step_id=step_id)
    _remove(session, directive=directive, step=step, actor=actor)
    refresh_order_progress(session, directive=directive, actor=actor)
    return step
