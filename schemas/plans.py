"""Plans as planning agents and people submit them: steps with name-based dependencies.

Sizes are checked by `orchestrator.dag.validate_plan` (which names the offending step);
the caps here only keep absurd bodies out before validation.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.tokens import ErrorBody

_HARD_TEXT_CAP = 200_000


class StepSpec(BaseModel):
    """One step of a plan. `depends_on` holds names (of this plan or existing steps) or ids."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=1000)
    description: str = Field(default="", max_length=_HARD_TEXT_CAP)
    task_plan: str = Field(
        default="",
        max_length=_HARD_TEXT_CAP,
        description="Self-contained instructions for the agent that runs this step.",
    )
    depends_on: list[str] = Field(default_factory=list, max_length=1000)
    order_index: int = Field(
        default=0,
        ge=0,
        description="Steps with a lower order_index in the same generation finish first.",
    )
    order_ids: list[UUID] = Field(
        default_factory=list, description="Orders this step works on (order pickup)."
    )


class PlanSubmission(BaseModel):
    """A whole plan. With `replace`, open steps not in the plan are removed (re-planning)."""

    model_config = ConfigDict(extra="forbid")

    steps: list[StepSpec] = Field(max_length=10_000)
    remove: list[str] = Field(
        default_factory=list,
        description="Names or ids of existing pending/ready/failed/skipped steps to remove.",
    )


class StepBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[StepSpec] = Field(max_length=10_000)


class PlanProblemPublic(BaseModel):
    """One reason a plan was refused: which step (None for the plan as a whole), which field."""

    step: str | None
    field: str
    reason: str


class PlanErrorBody(ErrorBody):
    """A refused plan: `detail` sums up, `problems` lists every problem found, step by step."""

    problems: list[PlanProblemPublic] = Field(default_factory=list)
