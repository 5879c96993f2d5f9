"""Test helpers for the real PostgreSQL: wipe every table between tests."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine

from orchestrator.models import Base


def truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
