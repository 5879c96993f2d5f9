"""Orders (the backlog), owner-scoped: create, list, patch, link to and unlink from a
directive, and the statuses a linked order takes from its directive's steps.

An order belongs to at most one directive at a time. Its status follows the work:
`open` until a step of its directive carries its id (`in_progress`), `done` when the
directive completes with every such step passed. Each change is a compare-and-set on the
status (a person may patch an order meanwhile) and a directive event.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from orchestrator.errors import ConflictError, NotFoundError, ValidationError
from orchestrator.models import Directive, Order, Step
from orchestrator.repository.events import SYSTEM_ACTOR, record_event
from schemas.enums import EventType, OrderStatus
from schemas.orders import OrderCreate, OrderUpdate
from schemas.statuses import StepStatus


def create_order(session: Session, *, owner_id: uuid.UUID, body: OrderCreate) -> Order:
    title = body.title.strip()
    if not title:
        raise ValidationError("title must not be blank", field="title")
    order = Order(
        owner_id=owner_id,
        title=title,
        description=body.description,
        priority=body.priority,
        type=body.type,
        status=OrderStatus.OPEN,
    )
    session.add(order)
    session.flush()
    session.refresh(order)
    return order


def list_orders(
    session: Session,
    *,
    owner_id: uuid.UUID,
    statuses: Sequence[OrderStatus] = (),
    directive_id: uuid.UUID | None = None,
) -> list[Order]:
    query = select(Order).where(Order.owner_id == owner_id)
    if statuses:
        query = query.where(Order.status.in_(statuses))
    if directive_id is not None:
        query = query.where(Order.directive_id == directive_id)
    return list(session.scalars(query.order_by(Order.created_at, Order.id)))


def get_order(session: Session, *, owner_id: uuid.UUID, order_id: uuid.UUID) -> Order:
    order = session.scalars(
        select(Order).where(Order.id == order_id, Order.owner_id == owner_id)
    ).one_or_none()
    if order is None:
        raise NotFoundError(f"order {order_id} not found", field="order_id")
    return order


def update_order(session: Session, *, order: Order, body: OrderUpdate) -> list[str]:
    """Apply the fields the patch sets; returns the names of those that changed."""
    changed = []
    for name in sorted(body.model_fields_set):
        value = getattr(body, name)
        if value is None:
            raise ValidationError(f"{name} must not be null", field=name)
        if name == "title":
            value = value.strip()
            if not value:
                raise ValidationError("title must not be blank", field="title")
        if getattr(order, name) != value:
            setattr(order, name, value)
            changed.append(name)
    if changed:
        session.flush()
        session.refresh(order)
    return changed


def _locked_orders(
    session: Session, *, owner_id: uuid.UUID, order_ids: Sequence[uuid.UUID]
) -> list[Order]:
    """The owner's orders by id, locked, in the order given; any unknown id is a 404."""
    found = {
        o.id: o
        for o in session.scalars(
            select(Order)
            .where(Order.id.in_(order_ids), Order.owner_id == owner_id)
            .order_by(Order.id)
            .with_for_update()
        )
    }
    for order_id in order_ids:
        if order_id not in found:
            raise NotFoundError(f"order {order_id} not found", field="order_ids")
    return [found[i] for i in dict.fromkeys(order_ids)]


def link_orders(
    session: Session, *, directive: Directive, order_ids: Sequence[uuid.UUID], actor: str
) -> list[Order]:
    """Link orders to the directive; returns the newly linked ones (already linked: no-op).

    An order linked to another directive is refused (409): unlink it there first.
    """
    orders = _locked_orders(session, owner_id=directive.owner_id, order_ids=order_ids)
    for order in orders:
        if order.directive_id is not None and order.directive_id != directive.id:
            raise ConflictError(
                f"order {order.id} ({order.title!r}) is linked to directive "
                f"{order.directive_id}; unlink it there first",
                field="order_ids",
            )
    linked = [o for o in orders if o.directive_id is None]
    for order in linked:
        order.directive_id = directive.id
    if linked:
        session.flush()
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.ORDER_LINKED,
            message="linked " + ", ".join(repr(o.title) for o in linked),
            actor=actor,
            data={"order_ids": [str(o.id) for o in linked]},
        )
        # Steps may already name an order before it is linked (a plan given up front).
        refresh_order_progress(session, directive=directive, actor=actor)
    return linked


def unlink_orders(
    session: Session, *, directive: Directive, order_ids: Sequence[uuid.UUID], actor: str
) -> list[Order]:
    """Unlink orders from the directive; an order not linked to it is refused (409)."""
    orders = _locked_orders(session, owner_id=directive.owner_id, order_ids=order_ids)
    for order in orders:
        if order.directive_id != directive.id:
            raise ConflictError(
                f"order {order.id} ({order.title!r}) is not linked to this directive",
                field="order_ids",
            )
    # Back in the backlog, an order in progress here is open again (its steps stay).
    for order in orders:
        if order.status is OrderStatus.IN_PROGRESS:
            _move_order(
                session,
                directive=directive,
                order=order,
                target=OrderStatus.OPEN,
                reason="unlinked from the directive",
                actor=actor,
            )
    for order in orders:
        order.directive_id = None
    session.flush()
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.ORDER_UNLINKED,
        message="unlinked " + ", ".join(repr(o.title) for o in orders),
        actor=actor,
        data={"order_ids": [str(o.id) for o in orders]},
    )
    return orders


def orders_to_plan(session: Session, *, directive: Directive) -> list[Order]:
    """The orders linked to the directive that are not done: what a planner may pick from."""
    return list_orders(
        session,
        owner_id=directive.owner_id,
        directive_id=directive.id,
        statuses=(OrderStatus.OPEN, OrderStatus.IN_PROGRESS),
    )


def _move_order(
    session: Session,
    *,
    directive: Directive,
    order: Order,
    target: OrderStatus,
    reason: str,
    actor: str,
    step_names: Sequence[str] = (),
) -> bool:
    """Compare-and-set the order's status; False when it changed meanwhile (a patch)."""
    current = order.status
    result = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == current)
        .values(status=target)
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        return False
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.ORDER_STATUS,
        message=f"order {order.title!r} {current.value} → {target.value}: {reason}",
        actor=actor,
        data={
            "order_id": str(order.id),
            "from": current.value,
            "to": target.value,
            "reason": reason,
            "steps": list(step_names),
        },
    )
    return True


def _steps_by_order(session: Session, *, directive_id: uuid.UUID) -> dict[uuid.UUID, list[Step]]:
    """The directive's live (not removed) steps, by the orders they carry."""
    by_order: dict[uuid.UUID, list[Step]] = {}
    steps = session.scalars(
        select(Step).where(
            Step.directive_id == directive_id,
            Step.status != StepStatus.REMOVED,
            func.cardinality(Step.order_ids) > 0,
        )
    )
    for step in steps:
        for order_id in step.order_ids:
            by_order.setdefault(order_id, []).append(step)
    return by_order


def refresh_order_progress(
    session: Session, *, directive: Directive, actor: str = SYSTEM_ACTOR
) -> list[Order]:
    """Linked orders follow their steps: `open` with a live step → `in_progress`;
    `in_progress` whose steps were all removed (by a re-plan) → `open` again.

    Called whenever steps are added or removed, and when orders are linked. Returns the
    orders that changed.
    """
    by_order = _steps_by_order(session, directive_id=directive.id)
    changed = []
    for order in orders_to_plan(session, directive=directive):
        steps = by_order.get(order.id, [])
        if order.status is OrderStatus.OPEN and steps:
            names = [s.name for s in steps]
            reason = "planned in step(s) " + ", ".join(repr(n) for n in names)
            target, step_names = OrderStatus.IN_PROGRESS, names
        elif order.status is OrderStatus.IN_PROGRESS and not steps:
            reason, target, step_names = (
                "its steps were removed from the plan",
                OrderStatus.OPEN,
                [],
            )
        else:
            continue
        if _move_order(
            session,
            directive=directive,
            order=order,
            target=target,
            reason=reason,
            actor=actor,
            step_names=step_names,
        ):
            changed.append(order)
    return changed


def complete_orders(session: Session, *, directive: Directive) -> list[Order]:
    """The directive completed: its linked in-progress orders whose live steps all passed
    are done. Returns them.

    Called by the completion phase once the directive is `completed`. An order with a step
    still open, failed or skipped stays in progress (a later re-plan may finish it).
    """
    by_order = _steps_by_order(session, directive_id=directive.id)
    done = []
    for order in list_orders(
        session,
        owner_id=directive.owner_id,
        directive_id=directive.id,
        statuses=(OrderStatus.IN_PROGRESS,),
    ):
        steps = by_order.get(order.id, [])
        if not steps or any(s.status is not StepStatus.PASSED for s in steps):
            continue
        names = [s.name for s in steps]
        if _move_order(
            session,
            directive=directive,
            order=order,
            target=OrderStatus.DONE,
            reason="the directive completed with its step(s) " + ", ".join(repr(n) for n in names),
            actor=SYSTEM_ACTOR,
            step_names=names,
        ):
            done.append(order)
    return done
