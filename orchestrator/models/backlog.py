"""Orders: the backlog that directives pick work from."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import Base, created_at, enum_column, updated_at, uuid_pk
from schemas.enums import OrderPriority, OrderStatus, OrderType


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_owner_status", "owner_id", "status"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[OrderPriority] = mapped_column(
        enum_column(OrderPriority, "order_priority"), default=OrderPriority.MEDIUM
    )
    type: Mapped[OrderType] = mapped_column(
        enum_column(OrderType, "order_type"), default=OrderType.FEATURE
    )
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.OPEN
    )
    directive_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("directives.id", ondelete="SET NULL"), default=None, index=True
    )
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
