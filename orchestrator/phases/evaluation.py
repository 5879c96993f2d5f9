"""Evaluation: score a finished step, decide, and act (pass, ask, rework, fail).

The score comes from the verifier results the daemon reported and, when the directive
enables it, an evaluator agent's JSON verdict (its own task on a daemon). The decision
itself is the pure `orchestrator.decisions`; this module only gathers inputs and applies it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from orchestrator.decisions import (
    Decision,
    Score,
    Thresholds,
    colour_of,
    decide,
    decide_evaluator_failure,
    score_result,
)
from orchestrator.models import Directive, Evaluation, Step, Task
from orchestrator.phases.locked import LockedDirective, lock_directive
from orchestrator.phases.outcomes import ask_for_approval, fail_step, pass_step, rework_or_fail_step
from orchestrator.phases.tasking import create_task
from orchestrator.prompts import evaluation_prompt
from orchestrator.repository.events import record_event
from schemas.directives import DirectivePublic
from schemas.enums import EvaluationColor, EventType, Severity, TaskKind
from schemas.evaluations import Verdict
from schemas.messages import VerifierResult
from schemas.statuses import TASK_LIVE, DirectiveStatus, StepStatus, TaskStatus
from schemas.steps import StepPublic

_EVALUATING = (DirectiveStatus.ACTIVE, DirectiveStatus.PLANNING)


def evaluate_directive(session: Session, *, directive_id: uuid.UUID) -> None:
    directive = lock_directive(session, directive_id)
    if directive is None or directive.status not in _EVALUATING:
        return
    steps = session.scalars(
        select(Step).where(Step.directive_id == directive_id, Step.status == StepStatus.EVALUATING)
    ).all()
    for step in steps:
        evaluate_step(session, directive=directive, step=step)


def evaluate_locked(session: Session, locked: LockedDirective) -> None:
    """`evaluate_directive` for a caller that already holds the lock and the steps."""
    if locked.directive.status not in _EVALUATING:
        return
    for step in [s for s in locked.steps if s.status is StepStatus.EVALUATING]:
        evaluate_step(session, directive=locked.directive, step=step)


def evaluate_step(
    session: Session, *, directive: Directive, step: Step, verdict_override: Verdict | None = None
) -> Evaluation | None:
    """Decide one evaluating step, or start/await its evaluator agent. Idempotent.

    `verdict_override` is a person's verdict given by hand (`makima step evaluate`): it
    stands in for the evaluator agent.
    """
    task = session.get(Task, step.current_task_id) if step.current_task_id else None
    if task is None:
        return None
    verifiers = [
        VerifierResult.model_validate(v) for v in (task.result or {}).get("verifier_results", [])
    ]
    verdict: Verdict | None = verdict_override
    evaluator_problem: str | None = None
    if verdict is None and directive.evaluator_enabled and all(v.passed for v in verifiers):
        evaluator = _evaluator_task(session, directive, step, task, verifiers)
        if evaluator is None or evaluator.status in TASK_LIVE:
            return None  # the evaluator agent is still working
        verdict, evaluator_problem = parse_verdict(evaluator)
    thresholds = Thresholds(directive.green_threshold, directive.yellow_threshold)
    if evaluator_problem is not None:
        decision = decide_evaluator_failure(directive.evaluator_failure_policy)
        score = Score(0.0, 0.0, f"evaluator failed: {evaluator_problem}", evaluator_problem)
        colour = EvaluationColor.YELLOW
        record_event(
            session,
            directive_id=directive.id,
            step_id=step.id,
            type=EventType.EVALUATOR_FAILED,
            severity=Severity.WARNING,
            message=f"evaluator failed ({evaluator_problem}); policy "
            f"{directive.evaluator_failure_policy.value} → {decision.value}",
        )
    else:
        score = score_result(verifiers, verdict, thresholds=thresholds)
        colour = colour_of(score.score, thresholds)
        decision = decide(
            colour,
            autonomy=directive.autonomy,
            rework_count=step.rework_count,
            max_rework_cycles=directive.max_rework_cycles,
        )
    evaluation = Evaluation(
        directive_id=directive.id,
        step_id=step.id,
        task_id=task.id,
        score=score.score,
        confidence=score.confidence,
        color=colour,
        decision=decision.value,
        summary=score.summary,
        feedback=score.feedback,
        verifier_results=[v.model_dump(mode="json") for v in verifiers],
        verdict=verdict.model_dump(mode="json") if verdict else None,
    )
    session.add(evaluation)
    session.flush()
    step.last_evaluation_id = evaluation.id
    step.confidence = score.confidence
    record_event(
        session,
        directive_id=directive.id,
        step_id=step.id,
        type=EventType.EVALUATION,
        message=f"step {step.name!r}: {colour.value} (score {score.score:.2f}, "
        f"confidence {score.confidence:.2f}) → {decision.value}: {score.summary}",
        data={"evaluation_id": str(evaluation.id), "decision": decision.value},
    )
    _apply(session, directive, step, evaluation, decision, score)
    return evaluation


def _apply(
    session: Session,
    directive: Directive,
    step: Step,
    evaluation: Evaluation,
    decision: Decision,
    score: Score,
) -> None:
    if decision is Decision.PASS:
        pass_step(
            session,
            directive=directive,
            step=step,
            reason=score.summary,
            confidence=score.confidence,
        )
    elif decision is Decision.ASK:
        ask_for_approval(
            session,
            directive=directive,
            step=step,
            evaluation=evaluation,
            question=f"{evaluation.color.value} result ({score.summary}); approve or deny",
        )
    elif decision is Decision.REWORK:
        rework_or_fail_step(
            session,
            directive=directive,
            step=step,
            reason=score.summary,
            feedback=score.feedback or score.summary,
        )
    else:
        fail_step(session, directive=directive, step=step, reason=score.summary)


def _evaluator_task(
    session: Session,
    directive: Directive,
    step: Step,
    execute: Task,
    verifiers: list[VerifierResult],
) -> Task | None:
    """The evaluator agent task judging `execute`; created on first call."""
    existing = session.scalars(
        select(Task)
        .where(
            Task.step_id == step.id,
            Task.kind == TaskKind.EVALUATE,
            Task.attempt == execute.attempt,
        )
        .order_by(Task.created_at.desc())
        .limit(1)
    ).one_or_none()
    if existing is not None:
        return existing
    summary = (
        "\n".join(
            f"- `{' '.join(v.command)}`: {'passed' if v.passed else 'FAILED'}" for v in verifiers
        )
        or "(no checks ran)"
    )
    result: dict[str, Any] = execute.result or {}
    base = execute.base_ref
    prompt = evaluation_prompt(
        DirectivePublic.model_validate(directive),
        StepPublic.model_validate(step),
        diff=result.get("diff") or f"(run `git diff {base}...HEAD` in your worktree to see it)",
        verifier_summary=summary,
    )
    create_task(
        session,
        directive=directive,
        kind=TaskKind.EVALUATE,
        step=step,
        attempt=execute.attempt,
        prompt=prompt,
        base_ref=result.get("branch") or execute.branch,
        branch=f"{execute.branch}-eval",
        run_verifiers=False,
        step_name=f"evaluate {step.name}",
    )
    return None


def parse_verdict(task: Task) -> tuple[Verdict | None, str | None]:
    """The verdict an evaluator submitted (`makima step evaluate`) or wrote as its last
    message; (None, reason) when the task failed or the answer is not a valid verdict."""
    if task.status is not TaskStatus.DONE:
        return None, f"evaluator task {task.status.value}: {task.error_detail or ''}".strip()
    result = task.result or {}
    raw = result.get("verdict") or _last_json_object(result.get("result_text") or "")
    if raw is None:
        return None, "the evaluator's answer held no JSON verdict"
    try:
        return Verdict.model_validate(raw), None
    except ValidationError as exc:
        return None, f"invalid verdict: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"


def _last_json_object(text: str) -> Any:
    """The last top-level JSON object in free text (agents wrap answers in prose)."""
    decoder = json.JSONDecoder()
    found = None
    index = text.find("{")
    while index != -1:
        try:
            found, length = decoder.raw_decode(text[index:])
            index = text.find("{", index + length)
        except ValueError:
            index = text.find("{", index + 1)
    return found
