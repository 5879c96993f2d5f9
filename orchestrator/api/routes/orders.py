"""Orders (the backlog): create, list, show, edit, and link to or unlink from a directive.

Linking is the lifecycle's (it may start an order pickup); see docs/orders.md."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query

from orchestrator import lifecycle
from orchestrator.api.deps import OwnerLockedDirectiveDep, OwnerPrincipalDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.repository import orders as orders_repo
from schemas.enums import OrderStatus
from schemas.orders import OrderCreate, OrderLink, OrderPublic, OrderUpdate

router = APIRouter(prefix="/api/v1", tags=["orders"], responses=error_responses(403))

OrderIdPath = Annotated[uuid.UUID, Path(description="The order's id.")]


@router.post(
    "/orders",
    status_code=201,
    response_model=OrderPublic,
    responses=error_responses(422),
    summary="Create an order",
)
def create_order(
    body: OrderCreate, session: SessionDep, principal: OwnerPrincipalDep
) -> OrderPublic:
    order = orders_repo.create_order(session, owner_id=principal.owner_id, body=body)
    return OrderPublic.model_validate(order)


@router.get(
    "/orders",
    response_model=list[OrderPublic],
    responses=error_responses(422),
    summary="List orders, oldest first",
)
def list_orders(
    session: SessionDep,
    principal: OwnerPrincipalDep,
    status: Annotated[
        list[OrderStatus], Query(description="Only these statuses (repeatable).")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    directive_id: Annotated[
        uuid.UUID | None, Query(description="Only orders linked to this directive.")
    ] = None,
) -> list[OrderPublic]:
    rows = orders_repo.list_orders(
        session, owner_id=principal.owner_id, statuses=status, directive_id=directive_id
    )
    return [OrderPublic.model_validate(o) for o in rows]


@router.get(
    "/orders/{order_id}",
    response_model=OrderPublic,
    responses=error_responses(404, 422),
    summary="Show an order",
)
def get_order(
    order_id: OrderIdPath, session: SessionDep, principal: OwnerPrincipalDep
) -> OrderPublic:
    order = orders_repo.get_order(session, owner_id=principal.owner_id, order_id=order_id)
    return OrderPublic.model_validate(order)


@router.patch(
    "/orders/{order_id}",
    response_model=OrderPublic,
    responses=error_responses(404, 422),
    summary="Edit an order (only the fields given change)",
)
def update_order(
    order_id: OrderIdPath, body: OrderUpdate, session: SessionDep, principal: OwnerPrincipalDep
) -> OrderPublic:
    order = orders_repo.get_order(session, owner_id=principal.owner_id, order_id=order_id)
    orders_repo.update_order(session, order=order, body=body)
    return OrderPublic.model_validate(order)


@router.post(
    "/directives/{directive_id}/orders/link",
    response_model=list[OrderPublic],
    responses=error_responses(404, 409, 422),
    summary="Link orders to a directive (an order pickup re-plans it unless it is a draft); "
    "answers every order now linked to it",
)
def link_orders(
    body: OrderLink,
    directive: OwnerLockedDirectiveDep,
    session: SessionDep,
    principal: OwnerPrincipalDep,
) -> list[OrderPublic]:
    # Newly linked orders start an order pickup (a re-plan) unless the directive is a draft.
    lifecycle.link_orders(
        session, directive=directive, order_ids=body.order_ids, actor=principal.actor
    )
    rows = orders_repo.list_orders(session, owner_id=principal.owner_id, directive_id=directive.id)
    return [OrderPublic.model_validate(o) for o in rows]


@router.post(
    "/directives/{directive_id}/orders/unlink",
    response_model=list[OrderPublic],
    responses=error_responses(404, 409, 422),
    summary="Unlink orders from a directive; answers the orders still linked to it",
)
def unlink_orders(
    body: OrderLink,
    directive: OwnerLockedDirectiveDep,
    session: SessionDep,
    principal: OwnerPrincipalDep,
) -> list[OrderPublic]:
    orders_repo.unlink_orders(
        session, directive=directive, order_ids=body.order_ids, actor=principal.actor
    )
    rows = orders_repo.list_orders(session, owner_id=principal.owner_id, directive_id=directive.id)
    return [OrderPublic.model_validate(o) for o in rows]
