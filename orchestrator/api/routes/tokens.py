"""API keys: who is calling, and the owner's keys (the secret is shown once, at creation)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path

from orchestrator.api.deps import OwnerPrincipalDep, PrincipalDep, SessionDep
from orchestrator.api.errors import error_responses
from orchestrator.errors import ValidationError
from orchestrator.models import Owner
from orchestrator.repository import owners as owners_repo
from schemas.tokens import PrincipalPublic, TokenCreate, TokenCreated, TokenPublic

router = APIRouter(prefix="/api/v1", tags=["tokens"])


@router.get("/me", response_model=PrincipalPublic, summary="Who the presented key belongs to")
def me(session: SessionDep, principal: PrincipalDep) -> PrincipalPublic:
    owner = session.get_one(Owner, principal.owner_id)
    return PrincipalPublic(
        owner_id=owner.id,
        owner_name=owner.name,
        scope=principal.scope,
        directive_id=principal.directive_id,
    )


@router.get(
    "/tokens",
    response_model=list[TokenPublic],
    responses=error_responses(403),
    summary="List the owner's API keys (never their secrets)",
)
def list_tokens(session: SessionDep, principal: OwnerPrincipalDep) -> list[TokenPublic]:
    keys = owners_repo.list_api_keys(session, owner_id=principal.owner_id)
    return [TokenPublic.model_validate(k) for k in keys]


@router.post(
    "/tokens",
    status_code=201,
    response_model=TokenCreated,
    responses=error_responses(403, 422),
    summary="Create an API key; the answer holds its secret, shown this once only",
)
def create_token(
    body: TokenCreate, session: SessionDep, principal: OwnerPrincipalDep
) -> TokenCreated:
    name = body.name.strip()
    if not name:
        raise ValidationError("name must not be blank", field="name")
    key, token = owners_repo.create_api_key(
        session,
        owner_id=principal.owner_id,
        name=name,
        expires_in_seconds=body.expires_in_seconds,
    )
    session.refresh(key)
    return TokenCreated(**TokenPublic.model_validate(key).model_dump(), token=token)


@router.delete(
    "/tokens/{token_id}",
    response_model=TokenPublic,
    responses=error_responses(403, 404, 422),
    summary="Revoke an API key (at once: the next request with it answers 401)",
)
def revoke_token(
    token_id: Annotated[uuid.UUID, Path(description="The key's id.")],
    session: SessionDep,
    principal: OwnerPrincipalDep,
) -> TokenPublic:
    key = owners_repo.revoke_api_key(session, owner_id=principal.owner_id, key_id=token_id)
    return TokenPublic.model_validate(key)
