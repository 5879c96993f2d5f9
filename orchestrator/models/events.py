"""The directive event log: every decision, transition and refusal, in order."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import Base, JsonDict, created_at, enum_column
from schemas.enums import EventType, Severity


class DirectiveEvent(Base):
    __tablename__ = "directive_events"
    __table_args__ = (
        Index("ix_directive_events_directive_id", "directive_id", "id"),
        Index("ix_directive_events_step", "step_id"),
    )

    # A bigserial id gives a total order that SSE streams and pagination use as a cursor.
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    directive_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("directives.id", ondelete="CASCADE"))
    step_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    task_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    type: Mapped[EventType] = mapped_column(enum_column(EventType, "event_type"))
    severity: Mapped[Severity] = mapped_column(
        enum_column(Severity, "severity"), default=Severity.INFO
    )
    actor: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text)
    data: Mapped[JsonDict] = mapped_column(JSONB, default=dict)
    created_at: Mapped[datetime] = created_at()
