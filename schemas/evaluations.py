"""The evaluator agent's verdict and the stored evaluation of a step."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.enums import EvaluationColor


class CriterionResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(max_length=5000)
    passed: bool
    evidence: str = Field(default="", max_length=20_000)


class Verdict(BaseModel):
    """What an evaluator agent must answer, as JSON (via `makima step evaluate` or last)."""

    model_config = ConfigDict(extra="forbid")

    passed: bool
    overall_score: float = Field(ge=0, le=1)
    confidence: float = Field(ge=0, le=1)
    criteria: list[CriterionResult] = Field(default_factory=list, max_length=200)
    summary: str = Field(default="", max_length=20_000)
    rework_instructions: str | None = Field(default=None, max_length=20_000)


class EvaluationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    directive_id: UUID
    step_id: UUID
    task_id: UUID | None
    score: float
    confidence: float
    color: EvaluationColor
    decision: str
    summary: str
    feedback: str | None
    verifier_results: list[dict[str, Any]]
    verdict: dict[str, Any] | None
    created_at: datetime


class EvaluateRequest(BaseModel):
    """`makima step evaluate`: an evaluator agent's verdict, or a person's re-evaluation.

    From the evaluator task's own key, the verdict is kept for when its session ends. From
    an owner's key, the step (which must be evaluating) is decided now, with the verdict
    when one is given, else from its checks (and a fresh evaluator agent if enabled).
    """

    model_config = ConfigDict(extra="forbid")

    verdict: Verdict | None = None
