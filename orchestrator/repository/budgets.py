"""A directive's figures for the circuit breakers, read from the database."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from orchestrator.breakers import Breach, BreakerKind, Figures, Limits, find_breaches
from orchestrator.errors import ConflictError
from orchestrator.models import Directive, Step
from schemas.statuses import StepStatus

LIMIT_FIELDS = {
    BreakerKind.COST: "max_total_cost_usd",
    BreakerKind.WALL_TIME: "max_wall_seconds",
    BreakerKind.CHAIN_REGENERATIONS: "max_chain_regenerations",
    BreakerKind.REWORK_CYCLES: "max_rework_cycles",
}


def directive_figures(
    session: Session, *, directive: Directive, steps: Sequence[Step] | None = None
) -> Figures:
    """The figures now; `steps` (every step of the directive, loaded) spare a query."""
    started = directive.started_at
    wall = (datetime.now(UTC) - started).total_seconds() if started else 0.0
    reworks: int | None
    if steps is not None:
        reworks = max(
            (s.rework_count for s in steps if s.status is not StepStatus.REMOVED), default=0
        )
    else:
        reworks = session.scalar(
            select(func.coalesce(func.max(Step.rework_count), 0)).where(
                Step.directive_id == directive.id, Step.status != StepStatus.REMOVED
            )
        )
    return Figures(
        total_cost_usd=directive.total_cost_usd,
        wall_seconds=wall,
        chain_regenerations=directive.chain_regenerations,
        rework_cycles=int(reworks or 0),
    )


def directive_limits(directive: Directive) -> Limits:
    return Limits(
        max_total_cost_usd=directive.max_total_cost_usd,
        max_wall_seconds=float(directive.max_wall_seconds),
        max_chain_regenerations=directive.max_chain_regenerations,
        max_rework_cycles=directive.max_rework_cycles,
    )


def current_breaches(
    session: Session, *, directive: Directive, steps: Sequence[Step] | None = None
) -> list[Breach]:
    return find_breaches(
        directive_figures(session, directive=directive, steps=steps), directive_limits(directive)
    )


def assert_breakers_cleared(session: Session, *, directive: Directive) -> None:
    """Refuse to resume while a limit is still breached, naming the limit to raise."""
    breaches = current_breaches(session, directive=directive)
    if breaches:
        first = breaches[0]
        raise ConflictError(
            "cannot resume: "
            + "; ".join(b.describe() for b in breaches)
            + " (raise the limit with `makima directive update`)",
            field=f"budgets.{LIMIT_FIELDS[first.kind]}",
        )
