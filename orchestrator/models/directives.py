"""Directives (a goal for a repository, with budgets) and their goal history."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from orchestrator.models.base import (
    Base,
    JsonDict,
    created_at,
    enum_column,
    status_in,
    updated_at,
    uuid_pk,
)
from schemas.enums import AutonomyLevel, EvaluatorFailurePolicy, ForgeKind
from schemas.statuses import DIRECTIVE_LIVE, DirectiveStatus


class Directive(Base):
    __tablename__ = "directives"
    __table_args__ = (
        CheckConstraint("green_threshold >= yellow_threshold", name="thresholds_ordered"),
        CheckConstraint("max_rework_cycles >= 0", name="rework_nonneg"),
        CheckConstraint("total_cost_usd >= 0", name="cost_nonneg"),
        # The tick scans live directives only; history of finished ones never slows it.
        Index("ix_directives_live", "id", postgresql_where=status_in("status", DIRECTIVE_LIVE)),
        Index("ix_directives_owner_status", "owner_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("owners.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(200))
    goal: Mapped[str] = mapped_column(Text)
    requirements: Mapped[list[str]] = mapped_column(JSONB, default=list)
    acceptance_criteria: Mapped[list[str]] = mapped_column(JSONB, default=list)
    constraints: Mapped[list[str]] = mapped_column(JSONB, default=list)
    repository: Mapped[str] = mapped_column(Text)
    base_branch: Mapped[str] = mapped_column(String(255), default="main")
    pool: Mapped[str] = mapped_column(String(64), default="default")
    status: Mapped[DirectiveStatus] = mapped_column(
        enum_column(DirectiveStatus, "directive_status"), default=DirectiveStatus.DRAFT
    )
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    autonomy: Mapped[AutonomyLevel] = mapped_column(
        enum_column(AutonomyLevel, "autonomy_level"), default=AutonomyLevel.GUIDED
    )
    green_threshold: Mapped[float] = mapped_column(Float, default=0.8)
    yellow_threshold: Mapped[float] = mapped_column(Float, default=0.5)
    max_rework_cycles: Mapped[int] = mapped_column(Integer, default=3)
    max_chain_regenerations: Mapped[int] = mapped_column(Integer, default=3)
    chain_regenerations: Mapped[int] = mapped_column(Integer, default=0)
    max_total_cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal("25"))
    total_cost_usd: Mapped[Decimal] = mapped_column(Numeric(12, 4), default=Decimal("0"))
    max_wall_seconds: Mapped[int] = mapped_column(Integer, default=4 * 3600)
    runtime: Mapped[str] = mapped_column(String(64), default="claude")
    model: Mapped[str | None] = mapped_column(String(128), default=None)
    max_turns: Mapped[int | None] = mapped_column(Integer, default=None)
    session_timeout_seconds: Mapped[int] = mapped_column(Integer, default=3600)
    verifier_commands: Mapped[list[list[str]]] = mapped_column(JSONB, default=list)
    auto_verifiers: Mapped[bool] = mapped_column(Boolean, default=True)
    evaluator_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    evaluator_failure_policy: Mapped[EvaluatorFailurePolicy] = mapped_column(
        enum_column(EvaluatorFailurePolicy, "evaluator_failure_policy"),
        default=EvaluatorFailurePolicy.ASK,
    )
    generation: Mapped[int] = mapped_column(Integer, default=0)
    pr_branch: Mapped[str | None] = mapped_column(String(255), default=None)
    pr_url: Mapped[str | None] = mapped_column(Text, default=None)
    forge: Mapped[ForgeKind] = mapped_column(
        enum_column(ForgeKind, "forge_kind"), default=ForgeKind.AUTO
    )
    # owner/name on the forge; None: derived from the repository URL.
    forge_repository: Mapped[str | None] = mapped_column(String(200), default=None)
    # + 1 each time the directive enters `completing`; its complete and resolve_conflicts
    # tasks carry the round they belong to.
    completion_round: Mapped[int] = mapped_column(Integer, default=0)
    breaker: Mapped[JsonDict | None] = mapped_column(JSONB, default=None)
    waiting_notice: Mapped[str | None] = mapped_column(String(64), default=None)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = updated_at()


class GoalHistory(Base):
    """A goal as it was before an edit; the current goal lives on the directive."""

    __tablename__ = "goal_history"

    id: Mapped[uuid.UUID] = uuid_pk()
    directive_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("directives.id", ondelete="CASCADE"), index=True
    )
    goal: Mapped[str] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(Integer)
    replaced_at: Mapped[datetime] = created_at()
