"""Pull request records: one per directive, written by completion, read by the API and CLI."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.errors import NotFoundError
from orchestrator.models import PullRequest


def pull_request_of(session: Session, *, directive_id: uuid.UUID) -> PullRequest | None:
    return session.scalars(
        select(PullRequest).where(PullRequest.directive_id == directive_id)
    ).one_or_none()


def get_pull_request(
    session: Session, *, owner_id: uuid.UUID, directive_id: uuid.UUID
) -> PullRequest:
    found = session.scalars(
        select(PullRequest).where(
            PullRequest.directive_id == directive_id, PullRequest.owner_id == owner_id
        )
    ).one_or_none()
    if found is None:
        raise NotFoundError(
            f"directive {directive_id} has no pull request yet", field="directive_id"
        )
    return found


def list_pull_requests(
    session: Session, *, owner_id: uuid.UUID, limit: int = 100, offset: int = 0
) -> list[PullRequest]:
    return list(
        session.scalars(
            select(PullRequest)
            .where(PullRequest.owner_id == owner_id)
            .order_by(PullRequest.updated_at.desc(), PullRequest.id)
            .limit(limit)
            .offset(offset)
        )
    )


def next_local_number(session: Session, *, repository: str) -> int:
    """Local PR numbers count per repository, like a forge's."""
    highest = session.scalar(
        select(func.max(PullRequest.number)).where(PullRequest.repository == repository)
    )
    return int(highest or 0) + 1
