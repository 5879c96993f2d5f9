"""Circuit breakers as pure functions."""

from __future__ import annotations

from decimal import Decimal

from orchestrator.breakers import BreakerKind, Figures, Limits, find_breaches

LIMITS = Limits(
    max_total_cost_usd=Decimal("1.00"),
    max_wall_seconds=600,
    max_chain_regenerations=2,
    max_rework_cycles=3,
)


def _figures(**changes: object) -> Figures:
    base = {
        "total_cost_usd": Decimal("0.10"),
        "wall_seconds": 10.0,
        "chain_regenerations": 0,
        "rework_cycles": 0,
    }
    base.update(changes)
    return Figures(**base)  # type: ignore[arg-type]


def test_within_limits_nothing_trips() -> None:
    assert find_breaches(_figures(), LIMITS) == []


def test_cost_trips_when_reached() -> None:
    [breach] = find_breaches(_figures(total_cost_usd=Decimal("1.00")), LIMITS)
    assert breach.kind is BreakerKind.COST
    assert "1 reached the limit of 1" in breach.describe()


def test_wall_time_trips_when_reached() -> None:
    [breach] = find_breaches(_figures(wall_seconds=600.0), LIMITS)
    assert breach.kind is BreakerKind.WALL_TIME


def test_counts_trip_only_when_exceeded() -> None:
    assert find_breaches(_figures(chain_regenerations=2, rework_cycles=3), LIMITS) == []
    kinds = {
        b.kind for b in find_breaches(_figures(chain_regenerations=3, rework_cycles=4), LIMITS)
    }
    assert kinds == {BreakerKind.CHAIN_REGENERATIONS, BreakerKind.REWORK_CYCLES}
