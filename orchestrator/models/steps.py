"""Steps: the nodes of a directive's DAG."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import (
    Base,
    created_at,
    enum_column,
    status_in,
    updated_at,
    uuid_pk,
)
from schemas.statuses import STEP_OPEN, StepStatus


class Step(Base):
    __tablename__ = "steps"
    __table_args__ = (
        # Names are unique among a directive's steps that still count.
        Index(
            "uq_steps_directive_name_live",
            "directive_id",
            "name",
            unique=True,
            postgresql_where=text(f"status <> '{StepStatus.REMOVED.value}'"),
        ),
        # Dispatch and monitoring only look at steps in flight.
        Index(
            "ix_steps_in_flight",
            "directive_id",
            "status",
            postgresql_where=status_in("status", STEP_OPEN),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    task_plan: Mapped[str] = mapped_column(Text, default="")
    depends_on: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    order_index: Mapped[int] = mapped_column(Integer, default=0)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[StepStatus] = mapped_column(
        enum_column(StepStatus, "step_status"), default=StepStatus.PENDING
    )
    rework_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    current_task_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    last_evaluation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    confidence: Mapped[float | None] = mapped_column(Float, default=None)
    branch: Mapped[str | None] = mapped_column(String(255), default=None)
    commit: Mapped[str | None] = mapped_column(String(64), default=None)
    order_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid), default=list)
    passed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
