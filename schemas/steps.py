"""Views of steps, tasks and the current chain (the live DAG) of a directive."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from schemas.directives import DirectivePublic, GoalVersion
from schemas.enums import ErrorKind, TaskKind
from schemas.statuses import StepStatus, TaskStatus


class StepPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    directive_id: UUID
    name: str
    description: str
    task_plan: str
    depends_on: list[UUID]
    order_index: int
    generation: int
    status: StepStatus
    rework_count: int
    attempts: int
    current_task_id: UUID | None
    last_evaluation_id: UUID | None
    feedback: str | None
    confidence: float | None
    branch: str | None
    commit: str | None
    order_ids: list[UUID]
    created_at: datetime
    updated_at: datetime


class TaskPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    directive_id: UUID
    step_id: UUID | None
    kind: TaskKind
    status: TaskStatus
    attempt: int
    generation: int
    pool: str
    daemon: str | None
    runtime: str
    model: str | None
    base_ref: str
    merge_refs: list[str]
    branch: str
    commit: str | None
    session_id: str | None
    cost_usd: Decimal
    turns: int
    heartbeat_at: datetime | None
    queued_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    error_kind: ErrorKind | None
    error_detail: str | None
    result: dict[str, Any] | None
    created_at: datetime


class ChainView(BaseModel):
    """The current plan as a DAG: steps in dependency order and what is running now."""

    generation: int
    order: list[UUID]
    ready: list[UUID]
    live_tasks: list[TaskPublic]


class DirectiveDetail(BaseModel):
    directive: DirectivePublic
    steps: list[StepPublic]
    chain: ChainView
    goal_history: list[GoalVersion]
