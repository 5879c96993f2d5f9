"""Pull requests as makima records them: one per directive, opened then updated by a forge."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from schemas.enums import ForgeKind
from schemas.messages import DiffStats


class PullRequestPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    directive_id: UUID
    forge: ForgeKind
    repository: str
    number: int | None
    url: str
    title: str
    body: str
    head: str
    base: str
    head_commit: str | None
    diff_stats: DiffStats
    gate_summary: str
    state: str
    updates: int
    created_at: datetime
    updated_at: datetime
