"""Approvals: what awaits a person's answer, and the answers (approve, deny with a comment).

The decision itself (the step passes, is reworked with the comment, or fails when its
rework budget is spent) is `orchestrator.lifecycle.decide_approval`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy.orm import Session

from orchestrator import lifecycle
from orchestrator.api.deps import OwnerPrincipalDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.errors import ValidationError
from orchestrator.repository import approvals as approvals_repo
from orchestrator.repository.owners import Principal
from schemas.approvals import ApprovalDecision, ApprovalPublic, DenyDecision
from schemas.enums import ApprovalStatus

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"], responses=error_responses(403))

ApprovalIdPath = Annotated[uuid.UUID, Path(description="The approval's id.")]


def _decide(
    session: Session,
    principal: Principal,
    approval_id: uuid.UUID,
    *,
    approved: bool,
    comment: str | None,
) -> ApprovalPublic:
    approval = approvals_repo.get_approval(
        session, owner_id=principal.owner_id, approval_id=approval_id, for_update=True
    )
    lifecycle.decide_approval(
        session, approval=approval, approved=approved, comment=comment, actor=principal.actor
    )
    session.refresh(approval)
    return ApprovalPublic.model_validate(approval)


@router.get(
    "",
    response_model=list[ApprovalPublic],
    responses=error_responses(422),
    summary="List approvals, oldest first",
)
def list_approvals(
    session: SessionDep,
    principal: OwnerPrincipalDep,
    status: Annotated[
        list[ApprovalStatus], Query(description="Only these statuses (repeatable).")
    ] = [],  # noqa: B006 - FastAPI copies query defaults
    directive_id: Annotated[uuid.UUID | None, Query(description="Only this directive's.")] = None,
) -> list[ApprovalPublic]:
    rows = approvals_repo.list_approvals(
        session, owner_id=principal.owner_id, statuses=status, directive_id=directive_id
    )
    return [ApprovalPublic.model_validate(a) for a in rows]


@router.post(
    "/{approval_id}/approve",
    response_model=ApprovalPublic,
    responses=error_responses(404, 409, 422),
    summary="Approve: the step passes and the chain goes on",
)
def approve(
    approval_id: ApprovalIdPath,
    session: SessionDep,
    principal: OwnerPrincipalDep,
    body: ApprovalDecision = ApprovalDecision(),  # noqa: B008 - an immutable default
) -> ApprovalPublic:
    comment = body.comment.strip() if body.comment and body.comment.strip() else None
    return _decide(session, principal, approval_id, approved=True, comment=comment)


@router.post(
    "/{approval_id}/deny",
    response_model=ApprovalPublic,
    responses=error_responses(404, 409, 422),
    summary="Deny with a comment: the step is reworked with it (or fails, budget spent)",
)
def deny(
    approval_id: ApprovalIdPath,
    body: DenyDecision,
    session: SessionDep,
    principal: OwnerPrincipalDep,
) -> ApprovalPublic:
    comment = body.comment.strip()
    if not comment:
        raise ValidationError("a denial needs a comment saying what to change", field="comment")
    return _decide(session, principal, approval_id, approved=False, comment=comment)
