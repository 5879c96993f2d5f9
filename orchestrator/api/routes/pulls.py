"""Pull requests as makima recorded them (local forge records, and GitHub PRs it opened)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from orchestrator.api.deps import DirectiveDep, OwnerPrincipalDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.models import PullRequest
from orchestrator.repository.pulls import get_pull_request, list_pull_requests
from schemas.pulls import PullRequestPublic

router = APIRouter(prefix="/api/v1", tags=["pull requests"])


@router.get(
    "/directives/{directive_id}/pull-request",
    response_model=PullRequestPublic,
    responses=error_responses(404),
    summary="The directive's pull request (404 until its first completion)",
)
def directive_pull_request(directive: DirectiveDep, session: SessionDep) -> PullRequest:
    return get_pull_request(session, owner_id=directive.owner_id, directive_id=directive.id)


@router.get(
    "/pull-requests",
    response_model=list[PullRequestPublic],
    responses=error_responses(403, 422),
    summary="The owner's pull requests, most recently updated first",
)
def pull_requests(
    principal: OwnerPrincipalDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PullRequest]:
    return list_pull_requests(session, owner_id=principal.owner_id, limit=limit, offset=offset)
