"""Approvals, owner-scoped through their directive. Deciding one is the lifecycle's job
(`orchestrator.lifecycle.decide_approval`): it moves the step as well."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.errors import NotFoundError
from orchestrator.models import Approval, Directive
from schemas.enums import ApprovalStatus


def list_approvals(
    session: Session,
    *,
    owner_id: uuid.UUID,
    statuses: Sequence[ApprovalStatus] = (),
    directive_id: uuid.UUID | None = None,
) -> list[Approval]:
    """The owner's approvals, oldest first (pending ones are what a person works through)."""
    query = (
        select(Approval)
        .join(Directive, Directive.id == Approval.directive_id)
        .where(Directive.owner_id == owner_id)
    )
    if statuses:
        query = query.where(Approval.status.in_(statuses))
    if directive_id is not None:
        query = query.where(Approval.directive_id == directive_id)
    return list(session.scalars(query.order_by(Approval.created_at, Approval.id)))


def get_approval(
    session: Session, *, owner_id: uuid.UUID, approval_id: uuid.UUID, for_update: bool = False
) -> Approval:
    """The owner's approval; `for_update` locks it so two decisions cannot both apply."""
    query = (
        select(Approval)
        .join(Directive, Directive.id == Approval.directive_id)
        .where(Approval.id == approval_id, Directive.owner_id == owner_id)
    )
    if for_update:
        query = query.with_for_update(of=Approval)
    approval = session.scalars(query).one_or_none()
    if approval is None:
        raise NotFoundError(f"approval {approval_id} not found", field="approval_id")
    return approval
