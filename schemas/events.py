"""Views of the directive event log and of agent output."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from schemas.enums import EventType, Severity


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    directive_id: UUID
    step_id: UUID | None
    task_id: UUID | None
    type: EventType
    severity: Severity
    actor: str
    message: str
    data: dict[str, Any]
    created_at: datetime


class EventPage(BaseModel):
    events: list[EventPublic]
    next_after_id: int


class OutputEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    task_id: UUID
    seq: int
    at: datetime
    kind: str
    text: str
    data: dict[str, Any]


class OutputPage(BaseModel):
    output: list[OutputEventPublic]
    next_after_id: int
