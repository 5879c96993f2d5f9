"""What happens to a step after a decision: pass, rework, fail, or ask a person.

Shared by monitoring (failed sessions), evaluation (verdicts) and approvals (a person's
answer). Each outcome is a guarded transition plus the phase it makes possible, enqueued
after the commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from orchestrator.models import Approval, Directive, Evaluation, Step
from orchestrator.repository.events import SYSTEM_ACTOR, record_event
from orchestrator.repository.transitions import transition
from orchestrator.triggers import enqueue_after_commit
from schemas.enums import EventType, Severity
from schemas.statuses import StepStatus
from schemas.wire import TASK_DISPATCH, TASK_MONITOR


def pass_step(
    session: Session,
    *,
    directive: Directive,
    step: Step,
    reason: str,
    confidence: float | None = None,
    actor: str = SYSTEM_ACTOR,
) -> bool:
    moved = transition(
        session,
        directive_id=directive.id,
        row_id=step.id,
        current=step.status,
        target=StepStatus.PASSED,
        reason=reason,
        actor=actor,
        values={"passed_at": datetime.now(UTC), "confidence": confidence, "feedback": None},
    )
    if moved:
        # Dependents may be ready now; if nothing is left, monitoring reports the outcome.
        enqueue_after_commit(session, TASK_DISPATCH, directive.id)
        enqueue_after_commit(session, TASK_MONITOR, directive.id)
    return moved


def rework_or_fail_step(
    session: Session,
    *,
    directive: Directive,
    step: Step,
    feedback: str,
    reason: str,
    actor: str = SYSTEM_ACTOR,
) -> StepStatus | None:
    """Back to pending with the feedback while the rework budget lasts, else failed."""
    if step.rework_count < directive.max_rework_cycles:
        moved = transition(
            session,
            directive_id=directive.id,
            row_id=step.id,
            current=step.status,
            target=StepStatus.PENDING,
            reason=f"rework {step.rework_count + 1} of {directive.max_rework_cycles}: {reason}",
            actor=actor,
            severity=Severity.WARNING,
            values={"rework_count": step.rework_count + 1, "feedback": feedback},
            data={"feedback": feedback[:4000]},
        )
        if moved:
            enqueue_after_commit(session, TASK_DISPATCH, directive.id)
            return StepStatus.PENDING
        return None
    return (
        StepStatus.FAILED
        if fail_step(
            session,
            directive=directive,
            step=step,
            reason=f"rework budget of {directive.max_rework_cycles} spent: {reason}",
            actor=actor,
            feedback=feedback,
        )
        else None
    )


def fail_step(
    session: Session,
    *,
    directive: Directive,
    step: Step,
    reason: str,
    actor: str = SYSTEM_ACTOR,
    feedback: str | None = None,
) -> bool:
    moved = transition(
        session,
        directive_id=directive.id,
        row_id=step.id,
        current=step.status,
        target=StepStatus.FAILED,
        reason=reason,
        actor=actor,
        severity=Severity.ERROR,
        values={"feedback": feedback} if feedback else None,
    )
    if moved:
        enqueue_after_commit(session, TASK_MONITOR, directive.id)
    return moved


def ask_for_approval(
    session: Session,
    *,
    directive: Directive,
    step: Step,
    evaluation: Evaluation,
    question: str,
) -> Approval | None:
    if not transition(
        session,
        directive_id=directive.id,
        row_id=step.id,
        current=StepStatus.EVALUATING,
        target=StepStatus.AWAITING_APPROVAL,
        reason=question,
    ):
        return None
    approval = Approval(
        directive_id=directive.id,
        step_id=step.id,
        evaluation_id=evaluation.id,
        question=question,
    )
    session.add(approval)
    session.flush()
    record_event(
        session,
        directive_id=directive.id,
        step_id=step.id,
        type=EventType.APPROVAL_REQUESTED,
        severity=Severity.WARNING,
        message=f"step {step.name!r} waits for approval: {question}",
        data={"approval_id": str(approval.id), "evaluation_id": str(evaluation.id)},
    )
    return approval
