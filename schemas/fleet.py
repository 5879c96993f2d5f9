"""Daemons as the API shows them."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from schemas.enums import DaemonStatus


class DaemonPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    host: str
    pool: str
    capacity: int
    runtimes: list[str]
    version: str
    status: DaemonStatus
    running_tasks: int
    last_heartbeat_at: datetime
    registered_at: datetime
