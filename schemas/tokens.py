"""API keys (created once, the secret shown only then; listed; revoked), who is calling,
and the generic answers of the API (errors, health)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import TokenScope


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    expires_in_seconds: int | None = Field(default=None, ge=60)


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    prefix: str
    scope: TokenScope
    directive_id: UUID | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenPublic):
    token: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: what went wrong and, when known, which field."""

    error: str
    detail: str
    field: str | None = None


class PrincipalPublic(BaseModel):
    """Who the presented key belongs to; a task key is bound to one directive."""

    owner_id: UUID
    owner_name: str
    scope: TokenScope
    directive_id: UUID | None


class HealthStatus(BaseModel):
    status: str
