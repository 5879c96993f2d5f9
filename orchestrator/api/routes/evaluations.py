"""Step evaluation by hand or by an evaluator agent: `makima step evaluate`."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select

from orchestrator.api.deps import DirectiveDep, LockedDirectiveDep, PrincipalDep, SessionDep
from orchestrator.errors import ConflictError, ForbiddenError, NotFoundError
from orchestrator.models import Evaluation, Step, Task
from orchestrator.phases.evaluation import evaluate_step
from schemas.enums import TaskKind, TokenScope
from schemas.evaluations import EvaluateRequest, EvaluationPublic
from schemas.statuses import TASK_LIVE, StepStatus

router = APIRouter(prefix="/api/v1/directives/{directive_id}/steps", tags=["evaluations"])


@router.get("/{step_id}/evaluations", response_model=list[EvaluationPublic])
def list_evaluations(
    session: SessionDep, directive: DirectiveDep, step_id: uuid.UUID
) -> list[Evaluation]:
    return list(
        session.scalars(
            select(Evaluation)
            .where(Evaluation.directive_id == directive.id, Evaluation.step_id == step_id)
            .order_by(Evaluation.created_at)
        )
    )


@router.post(
    "/{step_id}/evaluate",
    response_model=EvaluationPublic | None,
    responses={
        403: {"description": "a task key that is not this step's evaluator"},
        404: {"description": "no such step"},
        409: {"description": "not evaluating"},
    },
)
def evaluate(
    session: SessionDep,
    principal: PrincipalDep,
    directive: LockedDirectiveDep,
    step_id: uuid.UUID,
    body: EvaluateRequest,
) -> Evaluation | None:
    step = session.get(Step, step_id)
    if step is None or step.directive_id != directive.id:
        raise NotFoundError(f"step {step_id} not found", field="step_id")
    if principal.scope is TokenScope.TASK:
        task = session.get(Task, principal.task_id)
        if (
            task is None
            or task.kind is not TaskKind.EVALUATE
            or task.step_id != step.id
            or task.status not in TASK_LIVE
        ):
            raise ForbiddenError(
                "only this step's live evaluator task may submit a verdict", field="Authorization"
            )
        if body.verdict is None:
            raise ConflictError("an evaluator must submit a verdict", field="verdict")
        task.result = {**(task.result or {}), "verdict": body.verdict.model_dump(mode="json")}
        session.flush()
        return None
    if step.status is not StepStatus.EVALUATING:
        raise ConflictError(
            f"step is {step.status.value}; only an evaluating step can be evaluated",
            field="step_id",
        )
    return evaluate_step(session, directive=directive, step=step, verdict_override=body.verdict)
