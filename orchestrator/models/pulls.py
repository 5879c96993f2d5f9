"""Pull requests: one per directive, opened by the first completion, updated by later ones."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import Base, JsonDict, created_at, enum_column, updated_at, uuid_pk
from schemas.enums import ForgeKind


class PullRequest(Base):
    __tablename__ = "pull_requests"

    id: Mapped[uuid.UUID] = uuid_pk()
    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("owners.id", ondelete="CASCADE"), index=True
    )
    forge: Mapped[ForgeKind] = mapped_column(enum_column(ForgeKind, "forge_kind"))
    repository: Mapped[str] = mapped_column(Text)
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(String(256))
    body: Mapped[str] = mapped_column(Text)
    head: Mapped[str] = mapped_column(String(255))
    base: Mapped[str] = mapped_column(String(255))
    head_commit: Mapped[str | None] = mapped_column(String(64), default=None)
    diff_stats: Mapped[JsonDict] = mapped_column(JSONB, default=dict)
    gate_summary: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="open")
    updates: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()
