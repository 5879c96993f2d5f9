"""Directive bodies and views: create from small nested groups, patch group by group."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.enums import AutonomyLevel, EvaluatorFailurePolicy, ForgeKind
from schemas.plans import StepSpec
from schemas.statuses import DirectiveStatus

_TEXT = 20_000
_ITEMS = 100
_REF_PATTERN = r"^(?!-)(?!.*\.\.)(?!.*//)[A-Za-z0-9._/-]{1,255}(?<!\.lock)(?<!/)$"


def _clean_items(items: list[str]) -> list[str]:
    cleaned = [item.strip() for item in items]
    if any(not item for item in cleaned):
        raise ValueError("items must not be empty")
    return cleaned


class Budgets(BaseModel):
    """Circuit-breaker limits; a breach pauses the directive."""

    model_config = ConfigDict(extra="forbid")

    max_total_cost_usd: Decimal = Field(
        default=Decimal("25"), gt=0, max_digits=12, decimal_places=4
    )
    max_wall_seconds: int = Field(default=4 * 3600, ge=60)
    max_rework_cycles: int = Field(default=3, ge=0, le=50)
    max_chain_regenerations: int = Field(default=3, ge=0, le=50)


class EvaluationSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    green_threshold: float = Field(default=0.8, ge=0, le=1)
    yellow_threshold: float = Field(default=0.5, ge=0, le=1)
    evaluator_enabled: bool = False
    evaluator_failure_policy: EvaluatorFailurePolicy = EvaluatorFailurePolicy.ASK
    auto_verifiers: bool = True
    verifier_commands: list[list[str]] = Field(
        default_factory=list,
        max_length=20,
        description="Commands as argument lists (never a shell string), run in the worktree.",
    )

    @field_validator("verifier_commands")
    @classmethod
    def _argv_not_empty(cls, value: list[list[str]]) -> list[list[str]]:
        for argv in value:
            if not argv or not argv[0].strip():
                raise ValueError("each verifier command needs at least a program name")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> EvaluationSettings:
        if self.green_threshold < self.yellow_threshold:
            raise ValueError("green_threshold must be >= yellow_threshold")
        return self


class AgentSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runtime: str = Field(default="claude", pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    model: str | None = Field(default=None, max_length=128)
    max_turns: int | None = Field(default=None, ge=1, le=10_000)
    session_timeout_seconds: int = Field(default=3600, ge=10, le=24 * 3600)
    pool: str = Field(default="default", pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")


class ForgeSettings(BaseModel):
    """Where the pull request is opened. `repository` is the forge's `owner/name`; when
    omitted it is derived from a GitHub repository URL."""

    model_config = ConfigDict(extra="forbid")

    kind: ForgeKind = ForgeKind.AUTO
    repository: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"
    )


class DirectiveCreate(BaseModel):
    # python-re: the branch-name pattern needs look-arounds, which pydantic's default
    # (Rust) regex engine does not support.
    model_config = ConfigDict(extra="forbid", regex_engine="python-re")

    title: str = Field(min_length=1, max_length=200)
    goal: str = Field(min_length=1, max_length=_TEXT)
    requirements: list[str] = Field(default_factory=list, max_length=_ITEMS)
    acceptance_criteria: list[str] = Field(default_factory=list, max_length=_ITEMS)
    constraints: list[str] = Field(default_factory=list, max_length=_ITEMS)
    repository: str = Field(
        min_length=1, max_length=2000, description="Remote URL or local path of a git repository."
    )
    base_branch: str = Field(default="main", pattern=_REF_PATTERN)
    autonomy: AutonomyLevel = AutonomyLevel.GUIDED
    budgets: Budgets = Field(default_factory=Budgets)
    evaluation: EvaluationSettings = Field(default_factory=EvaluationSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    forge: ForgeSettings = Field(default_factory=ForgeSettings)
    plan: list[StepSpec] | None = Field(
        default=None, description="Give the plan directly; the directive then skips planning."
    )

    _items = field_validator("requirements", "acceptance_criteria", "constraints")(_clean_items)

    @field_validator("title", "goal", "repository")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class BudgetsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_total_cost_usd: Decimal | None = Field(default=None, gt=0, max_digits=12, decimal_places=4)
    max_wall_seconds: int | None = Field(default=None, ge=60)
    max_rework_cycles: int | None = Field(default=None, ge=0, le=50)
    max_chain_regenerations: int | None = Field(default=None, ge=0, le=50)


class EvaluationPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    green_threshold: float | None = Field(default=None, ge=0, le=1)
    yellow_threshold: float | None = Field(default=None, ge=0, le=1)
    evaluator_enabled: bool | None = None
    evaluator_failure_policy: EvaluatorFailurePolicy | None = None
    auto_verifiers: bool | None = None
    verifier_commands: list[list[str]] | None = Field(default=None, max_length=20)


class AgentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runtime: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_-]{0,63}$")
    model: str | None = Field(default=None, max_length=128)
    max_turns: int | None = Field(default=None, ge=1, le=10_000)
    session_timeout_seconds: int | None = Field(default=None, ge=10, le=24 * 3600)


class DirectiveUpdate(BaseModel):
    """Only the fields given change. A new goal is recorded in the goal history and re-plans."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    goal: str | None = Field(default=None, min_length=1, max_length=_TEXT)
    requirements: list[str] | None = Field(default=None, max_length=_ITEMS)
    acceptance_criteria: list[str] | None = Field(default=None, max_length=_ITEMS)
    constraints: list[str] | None = Field(default=None, max_length=_ITEMS)
    autonomy: AutonomyLevel | None = None
    budgets: BudgetsPatch | None = None
    evaluation: EvaluationPatch | None = None
    agent: AgentPatch | None = None


class PauseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="paused by a person", min_length=1, max_length=2000)


class DirectivePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    title: str
    goal: str
    requirements: list[str]
    acceptance_criteria: list[str]
    constraints: list[str]
    repository: str
    base_branch: str
    pool: str
    status: DirectiveStatus
    status_reason: str | None
    autonomy: AutonomyLevel
    green_threshold: float
    yellow_threshold: float
    max_rework_cycles: int
    max_chain_regenerations: int
    chain_regenerations: int
    max_total_cost_usd: Decimal
    total_cost_usd: Decimal
    max_wall_seconds: int
    runtime: str
    model: str | None
    max_turns: int | None
    session_timeout_seconds: int
    verifier_commands: list[list[str]]
    auto_verifiers: bool
    evaluator_enabled: bool
    evaluator_failure_policy: EvaluatorFailurePolicy
    generation: int
    pr_branch: str | None
    pr_url: str | None
    forge: ForgeKind
    forge_repository: str | None
    completion_round: int
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class GoalVersion(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    goal: str
    generation: int
    replaced_at: datetime
