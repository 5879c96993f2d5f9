"""The end of a completion round: the forge opens or updates the pull request, the record is
kept, the directive becomes `completed`; or the round stops and the directive is paused.

The forge is called under the directive's row lock, so two workers finishing the same round
serialize and the second finds the directive already completed: one PR, never two. The URL
stored is the one in the forge's answer.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from orchestrator.completion_texts import (
    gate_failure_detail,
    gate_summary,
    pull_request_body,
    pull_request_title,
)
from orchestrator.config import get_settings
from orchestrator.forge.base import Forge, ForgeAnswer, ForgeError, PullRequestDraft
from orchestrator.forge.local import LocalForge
from orchestrator.forge.select import forge_kind_of, github_forge_for, github_repository_of
from orchestrator.models import Directive, PullRequest, Task
from orchestrator.phases.merging import MergePlan, merged_step
from orchestrator.repository.events import record_event
from orchestrator.repository.orders import complete_orders, list_orders
from orchestrator.repository.pulls import pull_request_of
from orchestrator.repository.transitions import transition
from schemas.directives import DirectivePublic
from schemas.enums import EventType, ForgeKind, Severity
from schemas.messages import DiffStats, VerifierResult
from schemas.statuses import DirectiveStatus

log = logging.getLogger(__name__)

D = DirectiveStatus
FORGE_RETRY_NOTICE = "forge_retry"


def gate_results(task: Task) -> list[VerifierResult]:
    return [
        VerifierResult.model_validate(v) for v in (task.result or {}).get("verifier_results", [])
    ]


def publish(session: Session, directive: Directive, plan: MergePlan, task: Task) -> None:
    """The merged result passed the gate and is pushed: open or update the PR, complete."""
    gate = gate_results(task)
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.MERGE_GATE,
        message=f"merge gate green on {task.commit[:12] if task.commit else '?'}: "
        + gate_summary(gate).replace("\n", "; "),
        task_id=task.id,
        data={"passed": True, "commit": task.commit},
    )
    kind = forge_kind_of(directive)
    draft = PullRequestDraft(
        title=pull_request_title(DirectivePublic.model_validate(directive)),
        body=pull_request_body(
            DirectivePublic.model_validate(directive),
            steps=[merged_step(session, s) for s in plan.steps],
            gate=gate,
            orders=_order_lines(session, directive),
        ),
        head=task.branch,
        base=directive.base_branch,
    )
    try:
        answer = _forge(session, directive, kind).open_or_update(draft)
    except ForgeError as exc:
        _forge_failed(session, directive, kind, exc)
        return
    directive.waiting_notice = None
    record = _record(session, directive, kind, draft, answer, task, gate)
    record_event(
        session,
        directive_id=directive.id,
        type=EventType.PULL_REQUEST,
        message=f"pull request {'opened' if answer.created else 'updated'}: {answer.url}",
        task_id=task.id,
        data={
            "url": answer.url,
            "number": answer.number,
            "forge": kind.value,
            "created": answer.created,
            "head": draft.head,
            "base": draft.base,
            "diff_stats": record.diff_stats,
        },
    )
    directive.pr_url = answer.url
    session.flush()
    finish_directive(session, directive, reason=f"pull request {answer.url}")


def _forge(session: Session, directive: Directive, kind: ForgeKind) -> Forge:
    settings = get_settings()
    if kind is ForgeKind.GITHUB:
        return github_forge_for(directive, settings)
    return LocalForge(
        session,
        directive_id=directive.id,
        repository=directive.repository,
        api_url=settings.api_url,
    )


def _record(
    session: Session,
    directive: Directive,
    kind: ForgeKind,
    draft: PullRequestDraft,
    answer: ForgeAnswer,
    task: Task,
    gate: list[VerifierResult],
) -> PullRequest:
    record = pull_request_of(session, directive_id=directive.id)
    if record is None:
        record = PullRequest(directive_id=directive.id, owner_id=directive.owner_id, updates=0)
        session.add(record)
    else:
        record.updates += 1
    diff = DiffStats.model_validate((task.result or {}).get("diff_stats") or {})
    record.forge = kind
    forge_repository = github_repository_of(directive) if kind is ForgeKind.GITHUB else None
    record.repository = forge_repository or directive.repository
    record.number = answer.number
    record.url = answer.url
    record.title = draft.title
    record.body = draft.body
    record.head = draft.head
    record.base = draft.base
    record.head_commit = task.commit
    record.diff_stats = diff.model_dump()
    record.gate_summary = gate_summary(gate)
    record.state = "open"
    session.flush()
    return record


def _forge_failed(
    session: Session, directive: Directive, kind: ForgeKind, exc: ForgeError
) -> None:
    """Retryable: stay `completing` (the tick tries again), said once; else pause."""
    if not exc.retryable:
        pause_completion(session, directive, f"the {kind.value} forge refused: {exc.message}")
        return
    if directive.waiting_notice != FORGE_RETRY_NOTICE:
        directive.waiting_notice = FORGE_RETRY_NOTICE
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.PULL_REQUEST,
            severity=Severity.WARNING,
            message=f"the {kind.value} forge is unavailable ({exc.message}); retrying",
        )
        session.flush()


def _order_lines(session: Session, directive: Directive) -> list[str]:
    orders = list_orders(session, owner_id=directive.owner_id, directive_id=directive.id)
    return [f"[{o.priority.value}] {o.type.value}: {o.title}" for o in orders]


def finish_directive(session: Session, directive: Directive, *, reason: str) -> None:
    """completing → completed; the linked orders whose steps all passed are done."""
    if not transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=D.COMPLETING,
        target=D.COMPLETED,
        reason=reason,
        values={"completed_at": datetime.now(UTC), "status_reason": None},
    ):
        return
    complete_orders(session, directive=directive)


def pause_completion(
    session: Session, directive: Directive, reason: str, *, gate_task: Task | None = None
) -> None:
    """Stop the round and ask a person; a red merge gate is reported with its failures."""
    if gate_task is not None:
        gate = gate_results(gate_task)
        detail = gate_failure_detail(gate)
        reason = (
            f"merge gate red: {', '.join(v.name for v in gate if not v.passed)} failed on the "
            "merged result; the directive branch was not updated. Edit the goal to re-plan a "
            "fix, or resume to try again"
        )
        record_event(
            session,
            directive_id=directive.id,
            type=EventType.MERGE_GATE,
            severity=Severity.ERROR,
            message=f"merge gate red on {gate_task.commit or 'the merged result'}:\n{detail}",
            task_id=gate_task.id,
            data={
                "passed": False,
                "commit": gate_task.commit,
                "verifier_results": [v.model_dump(mode="json") for v in gate],
            },
        )
    transition(
        session,
        directive_id=directive.id,
        row_id=directive.id,
        current=D.COMPLETING,
        target=D.PAUSED,
        reason=reason,
        severity=Severity.ERROR,
        values={"status_reason": reason},
    )
