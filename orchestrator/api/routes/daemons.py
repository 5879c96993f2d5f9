"""Daemons: shared infrastructure, visible to every owner (task keys excluded)."""

from __future__ import annotations

from fastapi import APIRouter

from orchestrator.api.deps import OwnerPrincipalDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.repository.fleet import list_daemons
from schemas.fleet import DaemonPublic

router = APIRouter(prefix="/api/v1", tags=["daemons"], responses=error_responses(403))


@router.get(
    "/daemons",
    response_model=list[DaemonPublic],
    summary="List daemons, online first",
)
def get_daemons(session: SessionDep, principal: OwnerPrincipalDep) -> list[DaemonPublic]:
    return [DaemonPublic.model_validate(d) for d in list_daemons(session)]
