"""Daemons as the orchestrator knows them, and the record of the scheduler's ticks."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import Base, JsonDict, created_at, enum_column, uuid_pk
from schemas.enums import DaemonStatus


class Daemon(Base):
    __tablename__ = "daemons"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    pool: Mapped[str] = mapped_column(String(64), index=True)
    capacity: Mapped[int] = mapped_column(Integer)
    runtimes: Mapped[list[str]] = mapped_column(JSONB, default=list)
    version: Mapped[str] = mapped_column(String(64))
    status: Mapped[DaemonStatus] = mapped_column(
        enum_column(DaemonStatus, "daemon_status"), default=DaemonStatus.ONLINE
    )
    running_tasks: Mapped[int] = mapped_column(Integer, default=0)
    last_heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_at: Mapped[datetime] = created_at()


class SchedulerState(Base):
    """One row per periodic job: when it last ran and what it did (proof the tick runs)."""

    __tablename__ = "scheduler_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_count: Mapped[int] = mapped_column(BigInteger, default=0)
    last_run_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_result: Mapped[JsonDict] = mapped_column(JSONB, default=dict)
