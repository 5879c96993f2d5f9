"""Tasks (one agent session or job on a daemon) and what they printed."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import Base, JsonDict, created_at, enum_column, status_in, uuid_pk
from schemas.enums import ErrorKind, TaskKind
from schemas.statuses import TASK_LIVE, TaskStatus


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # Monitoring scans live tasks only (heartbeats, lost daemons, stale queues).
        Index(
            "ix_tasks_live",
            "directive_id",
            "status",
            postgresql_where=status_in("status", TASK_LIVE),
        ),
        Index("ix_tasks_step", "step_id", "attempt"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("steps.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[TaskKind] = mapped_column(enum_column(TaskKind, "task_kind"))
    status: Mapped[TaskStatus] = mapped_column(
        enum_column(TaskStatus, "task_status"), default=TaskStatus.PENDING
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    completion_round: Mapped[int | None] = mapped_column(Integer, default=None)
    pool: Mapped[str] = mapped_column(String(64), default="default")
    daemon: Mapped[str | None] = mapped_column(String(200), default=None)
    runtime: Mapped[str] = mapped_column(String(64))
    model: Mapped[str | None] = mapped_column(String(128), default=None)
    prompt: Mapped[str] = mapped_column(Text)
    base_ref: Mapped[str] = mapped_column(String(255))
    merge_refs: Mapped[list[str]] = mapped_column(JSONB, default=list)
    branch: Mapped[str] = mapped_column(String(255))
    commit: Mapped[str | None] = mapped_column(String(64), default=None)
    session_id: Mapped[str | None] = mapped_column(String(128), default=None)
    resume_session_id: Mapped[str | None] = mapped_column(String(128), default=None)
    cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal("0"))
    turns: Mapped[int] = mapped_column(Integer, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    error_kind: Mapped[ErrorKind | None] = mapped_column(
        enum_column(ErrorKind, "error_kind"), default=None
    )
    error_detail: Mapped[str | None] = mapped_column(Text, default=None)
    result: Mapped[JsonDict | None] = mapped_column(JSONB, default=None)
    created_at: Mapped[datetime] = created_at()


class TaskOutputEvent(Base):
    __tablename__ = "task_output_events"
    __table_args__ = (UniqueConstraint("task_id", "seq", name="uq_task_output_events_seq"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    data: Mapped[JsonDict] = mapped_column(JSONB, default=dict)
