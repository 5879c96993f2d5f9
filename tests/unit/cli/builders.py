"""Valid API views for the fake API, built through the schemas so they stay in step."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid4

from schemas.directives import DirectivePublic
from schemas.enums import AutonomyLevel, EvaluatorFailurePolicy, EventType, ForgeKind, Severity
from schemas.events import EventPublic
from schemas.statuses import DirectiveStatus, StepStatus
from schemas.steps import ChainView, DirectiveDetail, StepPublic

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


def directive(**overrides: Any) -> DirectivePublic:
    values: dict[str, Any] = {
        "id": uuid4(),
        "title": "Add a CLI",
        "goal": "Build the makima CLI.",
        "requirements": [],
        "acceptance_criteria": [],
        "constraints": [],
        "repository": "/srv/repo",
        "base_branch": "main",
        "pool": "default",
        "status": DirectiveStatus.DRAFT,
        "status_reason": None,
        "autonomy": AutonomyLevel.GUIDED,
        "green_threshold": 0.8,
        "yellow_threshold": 0.5,
        "max_rework_cycles": 3,
        "max_chain_regenerations": 3,
        "chain_regenerations": 0,
        "max_total_cost_usd": Decimal("25"),
        "total_cost_usd": Decimal("0"),
        "max_wall_seconds": 14400,
        "runtime": "claude",
        "model": None,
        "max_turns": None,
        "session_timeout_seconds": 3600,
        "verifier_commands": [],
        "auto_verifiers": True,
        "evaluator_enabled": False,
        "evaluator_failure_policy": EvaluatorFailurePolicy.ASK,
        "generation": 0,
        "pr_branch": None,
        "pr_url": None,
        "forge": ForgeKind.AUTO,
        "forge_repository": None,
        "completion_round": 0,
        "started_at": None,
        "completed_at": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return DirectivePublic(**values)


def step(directive_id: UUID, name: str, **overrides: Any) -> StepPublic:
    values: dict[str, Any] = {
        "id": uuid4(),
        "directive_id": directive_id,
        "name": name,
        "description": "",
        "task_plan": "",
        "depends_on": [],
        "order_index": 0,
        "generation": 1,
        "status": StepStatus.PENDING,
        "rework_count": 0,
        "attempts": 0,
        "current_task_id": None,
        "last_evaluation_id": None,
        "feedback": None,
        "confidence": None,
        "branch": None,
        "commit": None,
        "order_ids": [],
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(overrides)
    return StepPublic(**values)


def detail(d: DirectivePublic, steps: list[StepPublic] | None = None) -> DirectiveDetail:
    steps = steps or []
    return DirectiveDetail(
        directive=d,
        steps=steps,
        chain=ChainView(
            generation=d.generation, order=[s.id for s in steps], ready=[], live_tasks=[]
        ),
        goal_history=[],
    )


def event(
    directive_id: UUID, event_id: int, type: EventType, message: str, **data: Any
) -> EventPublic:
    return EventPublic(
        id=event_id,
        directive_id=directive_id,
        step_id=None,
        task_id=None,
        type=type,
        severity=Severity.INFO,
        actor="system",
        message=message,
        data=data,
        created_at=NOW,
    )
