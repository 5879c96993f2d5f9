"""Circuit breakers, as pure functions of a directive's figures and limits.

Checked before every dispatch and after every task update. A breach pauses the directive;
it can resume only once every breached limit has been raised above its figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class BreakerKind(StrEnum):
    COST = "cost"
    WALL_TIME = "wall_time"
    CHAIN_REGENERATIONS = "chain_regenerations"
    REWORK_CYCLES = "rework_cycles"


@dataclass(frozen=True)
class Figures:
    total_cost_usd: Decimal
    wall_seconds: float
    chain_regenerations: int
    rework_cycles: int


@dataclass(frozen=True)
class Limits:
    max_total_cost_usd: Decimal
    max_wall_seconds: float
    max_chain_regenerations: int
    max_rework_cycles: int


@dataclass(frozen=True)
class Breach:
    kind: BreakerKind
    figure: float
    limit: float

    def describe(self) -> str:
        return f"{self.kind.value}: {self.figure:g} reached the limit of {self.limit:g}"


def find_breaches(figures: Figures, limits: Limits) -> list[Breach]:
    """Every limit the figures have reached or passed.

    Cost and wall time trip when reached; regenerations and rework cycles trip only when
    exceeded (the limit is the number allowed).
    """
    breaches = []
    if figures.total_cost_usd >= limits.max_total_cost_usd:
        breaches.append(
            Breach(
                BreakerKind.COST, float(figures.total_cost_usd), float(limits.max_total_cost_usd)
            )
        )
    if figures.wall_seconds >= limits.max_wall_seconds:
        breaches.append(
            Breach(BreakerKind.WALL_TIME, round(figures.wall_seconds, 1), limits.max_wall_seconds)
        )
    if figures.chain_regenerations > limits.max_chain_regenerations:
        breaches.append(
            Breach(
                BreakerKind.CHAIN_REGENERATIONS,
                figures.chain_regenerations,
                limits.max_chain_regenerations,
            )
        )
    if figures.rework_cycles > limits.max_rework_cycles:
        breaches.append(
            Breach(BreakerKind.REWORK_CYCLES, figures.rework_cycles, limits.max_rework_cycles)
        )
    return breaches
