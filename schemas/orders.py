"""Orders: the backlog directives pick work from."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import OrderPriority, OrderStatus, OrderType


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20_000)
    priority: OrderPriority = OrderPriority.MEDIUM
    type: OrderType = OrderType.FEATURE


class OrderUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    priority: OrderPriority | None = None
    type: OrderType | None = None
    status: OrderStatus | None = None


class OrderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    description: str
    priority: OrderPriority
    type: OrderType
    status: OrderStatus
    directive_id: UUID | None
    created_at: datetime
    updated_at: datetime


class OrderLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_ids: list[UUID] = Field(min_length=1, max_length=100)
