"""Request dependencies: one transaction per request, the caller, and the owned directive.

The session dependency runs with `scope="function"`: it commits when the route function
returns and before the response is sent, so a client that gets a 2xx and asks again at once
sees what it wrote, and the after-commit triggers fire for committed work only. Any error
rolls the whole request back: nothing is half-written.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from orchestrator.config import get_settings
from orchestrator.dag import PlanLimits
from orchestrator.db import get_session_factory
from orchestrator.errors import AuthError, ForbiddenError, NotFoundError
from orchestrator.models import Directive
from orchestrator.repository import directives as directives_repo
from orchestrator.repository.owners import Principal, authenticate
from schemas.enums import TokenScope

# The database column holds at most this many characters of a step name.
_STEP_NAME_COLUMN = 200


def get_session() -> Iterator[Session]:
    session = get_session_factory()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key (`mk_…`): an owner key, or a task key bound to one directive.",
)


def get_principal(
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise AuthError(
            "missing API key: send `Authorization: Bearer <key>`", field="Authorization"
        )
    return authenticate(session, token=credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def get_owner_principal(principal: PrincipalDep) -> Principal:
    """Routes outside any one directive (tokens, orders, approvals, daemons): owner keys only."""
    if principal.scope is not TokenScope.OWNER:
        raise ForbiddenError("a task key can only reach its own directive", field="Authorization")
    return principal


OwnerPrincipalDep = Annotated[Principal, Depends(get_owner_principal)]


def _owned_directive(
    session: Session, principal: Principal, directive_id: uuid.UUID, *, for_update: bool
) -> Directive:
    # A task key sees only its own directive; any other answers exactly like a stranger's.
    if principal.scope is TokenScope.TASK and principal.directive_id != directive_id:
        raise NotFoundError(f"directive {directive_id} not found", field="directive_id")
    return directives_repo.get_directive(
        session, owner_id=principal.owner_id, directive_id=directive_id, for_update=for_update
    )


DirectiveIdPath = Annotated[uuid.UUID, Path(description="The directive's id.")]


def get_owned_directive(
    session: SessionDep, principal: PrincipalDep, directive_id: DirectiveIdPath
) -> Directive:
    return _owned_directive(session, principal, directive_id, for_update=False)


def get_locked_directive(
    session: SessionDep, principal: PrincipalDep, directive_id: DirectiveIdPath
) -> Directive:
    """The directive, row-locked until the request's transaction ends (plan edits, commands)."""
    return _owned_directive(session, principal, directive_id, for_update=True)


DirectiveDep = Annotated[Directive, Depends(get_owned_directive)]
LockedDirectiveDep = Annotated[Directive, Depends(get_locked_directive)]


def get_owner_locked_directive(
    session: SessionDep, principal: OwnerPrincipalDep, directive_id: DirectiveIdPath
) -> Directive:
    """Commands on a directive as a whole (edit, start, stop, delete): owner keys only.

    A task key may read its own directive and edit its plan, nothing more.
    """
    return _owned_directive(session, principal, directive_id, for_update=True)


OwnerLockedDirectiveDep = Annotated[Directive, Depends(get_owner_locked_directive)]


def plan_limits() -> PlanLimits:
    settings = get_settings()
    return PlanLimits(
        max_steps=settings.max_plan_steps,
        max_text_chars=settings.max_text_chars,
        max_name_chars=min(settings.max_name_chars, _STEP_NAME_COLUMN),
    )
