"""Orders (the backlog), owner-scoped: create, list, patch, link to and unlink from a
directive. An order belongs to at most one directive at a time."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.errors import ConflictError, NotFoundError, ValidationError
from orchestrator.models import Directive, Order
from orchestrator.repository.events import record_event
from schemas.enums import EventType, OrderStatus
from schemas.orders import OrderCreate, OrderUpdate


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
