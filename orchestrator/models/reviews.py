"""Evaluations of a step's result and the approvals people give or deny."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Index, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import Base, JsonDict, created_at, enum_column, status_in, uuid_pk
from schemas.enums import ApprovalStatus, EvaluationColor


class Evaluation(Base):
    __tablename__ = "evaluations"

    id: Mapped[uuid.UUID] = uuid_pk()
    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("steps.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    score: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    color: Mapped[EvaluationColor] = mapped_column(enum_column(EvaluationColor, "eval_color"))
    decision: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text, default="")
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    verifier_results: Mapped[list[JsonDict]] = mapped_column(JSONB, default=list)
    verdict: Mapped[JsonDict | None] = mapped_column(JSONB, default=None)
    created_at: Mapped[datetime] = created_at()


class Approval(Base):
    __tablename__ = "approvals"
    __table_args__ = (
        Index(
            "ix_approvals_pending",
            "directive_id",
            postgresql_where=status_in("status", {ApprovalStatus.PENDING}),
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), index=True
    )
    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    evaluation_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    status: Mapped[ApprovalStatus] = mapped_column(
        enum_column(ApprovalStatus, "approval_status"), default=ApprovalStatus.PENDING
    )
    question: Mapped[str] = mapped_column(Text, default="")
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(200), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = created_at()
