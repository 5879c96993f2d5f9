"""Approvals: a person's answer to a yellow result."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import ApprovalStatus


class ApprovalPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    directive_id: UUID
    step_id: UUID
    evaluation_id: UUID | None
    status: ApprovalStatus
    question: str
    comment: str | None
    decided_by: str | None
    decided_at: datetime | None
    created_at: datetime


class ApprovalDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comment: str | None = Field(default=None, max_length=20_000)


class DenyDecision(BaseModel):
    """A denial must say what to change: the comment becomes the rework instructions."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(min_length=1, max_length=20_000)
